package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.IPAMConfig;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Network;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkMapperTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void createRequestAsTheCliSendsIt() throws Exception {
        Network n = NetworkMapper.fromDocker(JSON.readTree("""
                {"Name":"internal","CheckDuplicate":true,"Driver":"overlay","Scope":"swarm","EnableIPv6":false,
                 "IPAM":{"Driver":"default","Config":[{"Subnet":"172.30.0.0/24"}],"Options":{}},
                 "Internal":false,"Attachable":true,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,
                 "Options":{},"Labels":{"tier":"back"}}"""));
        assertEquals("internal", n.getName());
        assertEquals("overlay", n.getDriver());
        assertTrue(n.getAttachable());
        assertEquals("172.30.0.0/24", n.getIpam(0).getSubnet());
        assertEquals("", n.getIpam(0).getGateway());
        assertEquals("back", n.getLabelsMap().get("tier"));
        assertThrows(InvalidSpecException.class, () -> NetworkMapper.fromDocker(JSON.readTree("{\"Name\":\"x\",\"Driver\":\"bridge\"}")));
        assertThrows(InvalidSpecException.class, () -> NetworkMapper.fromDocker(JSON.readTree("{\"Driver\":\"overlay\"}")));
        assertThrows(InvalidSpecException.class, () -> NetworkMapper.fromDocker(JSON.readTree("{\"Name\":\"x\",\"Attachable\":\"yes\"}")));
    }

    @Test
    void inspectAsTheWalkthroughShowsIt() throws Exception {
        Network n = Network.newBuilder().setMeta(Meta.newBuilder().setId("kq7sc5qu1wlelrat8wnqob2g2").setVersion(7))
                .setName("internal").setDriver("overlay").setAttachable(true).setVni(4097)
                .addIpam(IPAMConfig.newBuilder().setSubnet("172.30.0.0/24").setGateway("172.30.0.1")).build();
        ObjectNode o = NetworkMapper.toDocker(n);
        assertEquals(JSON.readTree("""
                {"Name":"internal","Id":"kq7sc5qu1wlelrat8wnqob2g2","Created":"0001-01-01T00:00:00Z","Scope":"swarm",
                 "Driver":"overlay","EnableIPv6":false,
                 "IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"172.30.0.0/24","Gateway":"172.30.0.1"}]},
                 "Internal":false,"Attachable":true,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,
                 "Containers":null,
                 "Options":{"com.docker.network.driver.overlay.vxlanid_list":"4097"},"Labels":null}"""), o);
        // not yet allocated: no Config entry, no vxlan option
        ObjectNode pending = NetworkMapper.toDocker(Network.newBuilder().setName("x").build());
        assertEquals(0, pending.get("IPAM").get("Config").size());
        assertEquals(0, pending.get("Options").size());
    }
}
