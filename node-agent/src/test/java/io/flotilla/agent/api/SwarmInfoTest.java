package io.flotilla.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.agent.swarm.SwarmState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SwarmInfoTest {

    private static final String DOCKER_INFO = "{\"ID\":\"X\",\"Name\":\"machine\",\"Containers\":3,"
            + "\"Swarm\":{\"NodeID\":\"\",\"LocalNodeState\":\"inactive\"},\"ServerVersion\":\"20.10.24\"}";

    @Test
    void inactiveNodeLooksLikeDockersInactive() throws Exception {
        JsonNode docker = Responses.JSON.readTree(DOCKER_INFO);
        var s = new SwarmState.Snapshot("abc", false, false, List.of());
        ObjectNode info = SwarmInfo.merge(docker, SwarmInfo.block(s, "10.0.0.1", SwarmInfo.ClusterView.UNKNOWN),
                "swarm00");
        assertEquals("swarm00", info.get("Name").asText());
        assertEquals(3, info.get("Containers").asInt());
        assertEquals("inactive", info.at("/Swarm/LocalNodeState").asText());
        assertEquals("", info.at("/Swarm/NodeID").asText());
        assertFalse(info.at("/Swarm/ControlAvailable").asBoolean());
        assertTrue(info.at("/Swarm/RemoteManagers").isNull());
        assertFalse(info.get("Swarm").has("Cluster"));
        assertEquals("inactive", SwarmInfo.pingHeader(s));
    }

    @Test
    void managerHasClusterBlockAndCounts() throws Exception {
        JsonNode docker = Responses.JSON.readTree(DOCKER_INFO);
        var s = new SwarmState.Snapshot("nodeid1", true, true, List.of("10.0.0.1:2377"));
        JsonNode nodes = Responses.JSON.readTree("[{\"ID\":\"a\",\"Spec\":{\"Role\":\"manager\"}},"
                + "{\"ID\":\"b\",\"Spec\":{\"Role\":\"worker\"}},{\"ID\":\"c\",\"Spec\":{\"Role\":\"worker\"}}]");
        JsonNode swarm = Responses.JSON.readTree("{\"ID\":\"cluster1\",\"JoinTokens\":{\"Worker\":\"SWMTKN-1-x\"}}");
        ObjectNode info = SwarmInfo.merge(docker, SwarmInfo.block(s, "10.0.0.1", SwarmInfo.fromManagers(nodes, swarm)),
                "swarm00");
        assertEquals("active", info.at("/Swarm/LocalNodeState").asText());
        assertEquals("nodeid1", info.at("/Swarm/NodeID").asText());
        assertEquals("10.0.0.1", info.at("/Swarm/NodeAddr").asText());
        assertTrue(info.at("/Swarm/ControlAvailable").asBoolean());
        assertEquals(3, info.at("/Swarm/Nodes").asInt());
        assertEquals(1, info.at("/Swarm/Managers").asInt());
        assertEquals("cluster1", info.at("/Swarm/Cluster/ID").asText());
        assertFalse(info.at("/Swarm/Cluster").has("JoinTokens"), "join tokens never leak into /info");
        assertEquals("nodeid1", info.at("/Swarm/RemoteManagers/0/NodeID").asText());
        assertEquals("10.0.0.1:2377", info.at("/Swarm/RemoteManagers/0/Addr").asText());
        assertEquals("active/manager", SwarmInfo.pingHeader(s));
    }

    @Test
    void managerWithoutAnswerFromGatewayStillHasTheClusterFieldsTheCliReads() throws Exception {
        var s = new SwarmState.Snapshot("n", true, true, List.of("10.0.0.1:2377"));
        ObjectNode block = SwarmInfo.block(s, "10.0.0.1", SwarmInfo.ClusterView.UNKNOWN);
        assertEquals(10000, block.at("/Cluster/Spec/Raft/SnapshotInterval").asInt());
        assertEquals(5_000_000_000L, block.at("/Cluster/Spec/Dispatcher/HeartbeatPeriod").asLong());
    }

    @Test
    void workerHasNoClusterBlock() {
        var s = new SwarmState.Snapshot("w", true, false, List.of("10.0.0.1:2377"));
        ObjectNode block = SwarmInfo.block(s, "10.0.0.2", SwarmInfo.ClusterView.UNKNOWN);
        assertFalse(block.get("ControlAvailable").asBoolean());
        assertFalse(block.has("Cluster"));
        assertEquals("", block.at("/RemoteManagers/0/NodeID").asText());
        assertEquals("active/worker", SwarmInfo.pingHeader(s));
    }
}
