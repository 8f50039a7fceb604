package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.contracts.v1.ManagerStatus;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Reachability;
import io.flotilla.contracts.v1.Resources;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeMapperTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Node manager() {
        return Node.newBuilder()
                .setMeta(Meta.newBuilder().setId("n1").setVersion(9).setCreatedAtMs(1000).setUpdatedAtMs(2000))
                .setSpec(NodeSpec.newBuilder().putLabels("zone", "a").setDesiredRole(NodeRole.ROLE_MANAGER)
                        .setAvailability(NodeAvailability.AVAILABILITY_DRAIN))
                .setDescription(NodeDescription.newBuilder().setHostname("swarm00").setOs("linux").setArchitecture("x86_64")
                        .setResources(Resources.newBuilder().setNanoCpus(2_000_000_000L).setMemoryBytes(1L << 30))
                        .setEngineVersion("20.10.24"))
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_READY).setAddr("10.10.10.60"))
                .setRole(NodeRole.ROLE_MANAGER)
                .setManagerStatus(ManagerStatus.newBuilder().setLeader(true).setReachability(Reachability.REACHABILITY_REACHABLE)
                        .setAddr("10.10.10.60:2377"))
                .build();
    }

    @Test
    void managerJson() {
        JsonNode j = NodeMapper.toDocker(manager(), null);
        assertEquals("n1", j.get("ID").asText());
        assertEquals(9, j.at("/Version/Index").longValue());
        assertEquals("manager", j.at("/Spec/Role").asText());
        assertEquals("drain", j.at("/Spec/Availability").asText());
        assertEquals("a", j.at("/Spec/Labels/zone").asText());
        assertEquals("swarm00", j.at("/Description/Hostname").asText());
        assertEquals("x86_64", j.at("/Description/Platform/Architecture").asText());
        assertEquals(2_000_000_000L, j.at("/Description/Resources/NanoCPUs").longValue());
        assertEquals("20.10.24", j.at("/Description/Engine/EngineVersion").asText());
        assertEquals("ready", j.at("/Status/State").asText());
        assertEquals("10.10.10.60", j.at("/Status/Addr").asText());
        assertTrue(j.at("/ManagerStatus/Leader").booleanValue());
        assertEquals("reachable", j.at("/ManagerStatus/Reachability").asText());
        assertEquals("10.10.10.60:2377", j.at("/ManagerStatus/Addr").asText());
    }

    @Test
    void workerHasNoManagerStatus() {
        Node w = manager().toBuilder().clearManagerStatus().setRole(NodeRole.ROLE_WORKER)
                .setSpec(NodeSpec.newBuilder().setDesiredRole(NodeRole.ROLE_WORKER))
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_DOWN)).build();
        JsonNode j = NodeMapper.toDocker(w, null);
        assertFalse(j.has("ManagerStatus"));
        assertEquals("worker", j.at("/Spec/Role").asText());
        assertEquals("active", j.at("/Spec/Availability").asText());
        assertEquals("down", j.at("/Status/State").asText());
    }

    @Test
    void nodeSpecFromDocker() throws Exception {
        NodeSpec current = manager().getSpec();
        NodeSpec s = NodeMapper.specFromDocker(JSON.readTree(
                "{\"Labels\":{\"disk\":\"ssd\"},\"Role\":\"worker\",\"Availability\":\"pause\"}"), current);
        assertEquals(NodeRole.ROLE_WORKER, s.getDesiredRole());
        assertEquals(NodeAvailability.AVAILABILITY_PAUSE, s.getAvailability());
        assertEquals("ssd", s.getLabelsMap().get("disk"));
        assertFalse(s.getLabelsMap().containsKey("zone"), "labels are replaced, as Docker does");
        assertThrows(InvalidSpecException.class, () -> NodeMapper.specFromDocker(JSON.readTree("{\"Availability\":\"sleep\"}"), current));
        assertThrows(InvalidSpecException.class, () -> NodeMapper.specFromDocker(JSON.readTree("{\"Role\":\"boss\"}"), current));
    }
}
