package io.flotilla.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.agent.net.NetworkFacts;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.OverlayPlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SwarmNetworksTest {

    private static final OverlayPlan INGRESS = OverlayPlan.newBuilder().setNetworkId("1qc6vhwhae2dnl0u7m7i0d4sk")
            .setName("ingress").setVni(4096).setSubnet("10.255.0.0/16").setGateway("10.255.0.1/16").setIngress(true)
            .addPeerVteps("10.10.10.60").addPeerVteps("10.10.10.62").putPeerNames("10.10.10.62", "swarm02").build();
    private static final NetworkPlan PLAN = NetworkPlan.newBuilder().addOverlays(INGRESS)
            .setIngressSandbox(NetworkAttachment.newBuilder().addAddresses("10.255.0.3/16").setMac("02:42:0a:ff:00:03"))
            .build();

    @Test
    void anOverlayLooksAsDockerShowsIt() {
        ObjectNode n = SwarmNetworks.render(INGRESS);
        assertEquals("ingress", n.path("Name").asText());
        assertEquals("swarm", n.path("Scope").asText());
        assertEquals("overlay", n.path("Driver").asText());
        assertEquals("10.255.0.1", n.path("IPAM").path("Config").get(0).path("Gateway").asText());
        assertEquals("4096", n.path("Options").path("com.docker.network.driver.overlay.vxlanid_list").asText());
        assertEquals(true, n.path("Ingress").asBoolean());
    }

    @Test
    void foundByIdPrefixOrNameAndLocalHalfAdded() {
        assertEquals(INGRESS, SwarmNetworks.find(PLAN, "ingress"));
        assertEquals(INGRESS, SwarmNetworks.find(PLAN, "1qc6vh"));
        assertNull(SwarmNetworks.find(PLAN, "internal"));
        NetworkFacts facts = new NetworkFacts() {
            @Override
            public NetworkPlan plan() {
                return PLAN;
            }

            @Override
            public Map<String, List<Endpoint>> endpoints() {
                return Map.of(INGRESS.getNetworkId(), List.of(
                        new Endpoint("ingress-sbox", "ingress-endpoint", "02:42:0a:ff:00:03", "10.255.0.3/16"),
                        new Endpoint("9b2e3c6c9bcb", "nodejs.1.o6fo1nik5sh23ju7f3d6n65ki", "02:42:0a:ff:00:08",
                                "10.255.0.8/16")));
            }
        };
        ObjectNode n = SwarmNetworks.render(INGRESS);
        SwarmNetworks.addLocal(n, facts, "swarm01", "10.10.10.61");
        assertEquals("10.255.0.8/16", n.path("Containers").path("9b2e3c6c9bcb").path("IPv4Address").asText());
        assertEquals("ingress-endpoint", n.path("Containers").path("ingress-sbox").path("Name").asText());
        JsonNode peers = n.path("Peers");
        assertEquals(3, peers.size());
        assertEquals("swarm01", peers.get(0).path("Name").asText());
        assertEquals("10.10.10.60", peers.get(1).path("Name").asText(), "no hostname known: the address");
        assertEquals("swarm02", peers.get(2).path("Name").asText());
        assertEquals("10.10.10.62", peers.get(2).path("IP").asText());
    }

    @Test
    void mergeKeepsDockerdsNetworksAndAddsTheSwarmOnesOnce() throws Exception {
        JsonNode local = Responses.JSON.readTree("[{\"Id\":\"a\",\"Name\":\"bridge\"},{\"Id\":\"b\",\"Name\":\"docker_gwbridge\"}]");
        JsonNode merged = SwarmNetworks.merge(local, List.of(SwarmNetworks.render(INGRESS),
                Responses.JSON.readTree("{\"Id\":\"a\",\"Name\":\"bridge\"}")));
        assertEquals(3, merged.size());
        assertEquals("ingress", merged.get(2).path("Name").asText());
    }
}
