package io.flotilla.network.ipam;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolsTest {

    @Test
    void addressPoolSkipsNetworkGatewayBroadcastAndIsSerial() {
        AddressPool p = new AddressPool(Subnet.parse("172.30.0.0/29"), Ip4.parse("172.30.0.1"));
        assertEquals("172.30.0.2", Ip4.format(p.allocate()));
        int b = p.allocate();
        assertEquals("172.30.0.3", Ip4.format(b));
        p.release(b);
        // serial: the released address is not handed out again at once
        assertEquals("172.30.0.4", Ip4.format(p.allocate()));
        assertEquals("172.30.0.5", Ip4.format(p.allocate()));
        assertEquals("172.30.0.6", Ip4.format(p.allocate()));
        assertEquals("172.30.0.3", Ip4.format(p.allocate()));
        IpamException e = assertThrows(IpamException.class, p::allocate);
        assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
        assertFalse(p.claim(Ip4.parse("172.30.0.7")), "broadcast is reserved");
        assertFalse(p.claim(Ip4.parse("172.30.0.1")), "gateway is reserved");
        p.release(Ip4.parse("172.30.0.4"));
        assertTrue(p.claim(Ip4.parse("172.30.0.4")));
        assertFalse(p.claim(Ip4.parse("172.30.0.4")), "claim is exclusive");
    }

    @Test
    void macIsDockers() {
        assertEquals("02:42:0a:ff:00:07", Ip4.mac(Ip4.parse("10.255.0.7")));
        assertEquals("02:42:ac:1e:00:03", Ip4.mac(Ip4.parse("172.30.0.3")));
    }

    @Test
    void vnisFrom4097AndReleased() {
        VniAllocator v = new VniAllocator();
        assertTrue(v.claim(VniAllocator.INGRESS_VNI));
        assertEquals(4097, v.allocate());
        assertEquals(4098, v.allocate());
        v.release(4097);
        assertEquals(4097, v.allocate());
        assertFalse(v.claim(4098));
        VniAllocator small = new VniAllocator(4097, 4097);
        small.allocate();
        assertThrows(IpamException.class, small::allocate);
    }

    @Test
    void defaultSubnetsSkipOverlapsAndGivenOnesMustNotOverlap() {
        SubnetPool s = new SubnetPool();
        s.claim(Subnet.parse("10.255.0.0/16"));
        s.claim(Subnet.parse("10.0.0.0/24"));
        assertEquals("10.0.1.0/24", s.allocate().toString());
        s.claim(Subnet.parse("10.0.2.0/23"));
        assertEquals("10.0.4.0/24", s.allocate().toString());
        IpamException e = assertThrows(IpamException.class, () -> s.claim(Subnet.parse("10.0.3.0/24")));
        assertTrue(e.getMessage().contains("overlaps"));
        s.release(Subnet.parse("10.0.1.0/24"));
        assertEquals("10.0.1.0/24", s.allocate().toString());
        SubnetPool tiny = new SubnetPool(Subnet.parse("10.0.0.0/23"), 24);
        tiny.allocate();
        tiny.allocate();
        assertThrows(IpamException.class, tiny::allocate);
    }

    @Test
    void portsExplicitOrDynamic() {
        PortAllocator p = new PortAllocator(30000, 30001);
        assertTrue(p.claim("tcp", 80));
        assertFalse(p.claim("tcp", 80));
        assertTrue(p.claim("udp", 80), "per protocol");
        assertEquals(30000, p.allocate("tcp"));
        assertEquals(30001, p.allocate("tcp"));
        assertThrows(IpamException.class, () -> p.allocate("tcp"));
        p.release("tcp", 30000);
        assertEquals(30000, p.allocate("tcp"));
    }

    @Test
    void subnetParsing() {
        assertEquals("10.255.0.0/16", Subnet.parse("10.255.0.0/16").toString());
        assertTrue(Subnet.parse("10.0.0.0/8").overlaps(Subnet.parse("10.3.0.0/24")));
        assertFalse(Subnet.parse("10.0.0.0/24").overlaps(Subnet.parse("10.0.1.0/24")));
        assertThrows(IpamException.class, () -> Subnet.parse("10.0.0.0"));
        assertThrows(IpamException.class, () -> Subnet.parse("10.0.0.300/24"));
    }
}
