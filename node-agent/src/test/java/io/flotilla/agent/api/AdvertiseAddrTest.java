package io.flotilla.agent.api;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdvertiseAddrTest {

    private final Map<String, List<String>> ifaces = Map.of("ens33", List.of("10.10.10.60"), "lo0", List.of(),
            "multi", List.of("10.0.0.1", "10.0.0.2"));
    private final Function<String, List<String>> lookup = ifaces::get;

    private AdvertiseAddr.Resolved resolve(String adv, String listen) throws Exception {
        return AdvertiseAddr.resolve(adv, listen, "192.168.1.5", lookup);
    }

    @Test
    void interfaceNameBecomesItsAddress() throws Exception {
        assertEquals("10.10.10.60:2377", resolve("ens33", "0.0.0.0:2377").hostPort());
        assertEquals("10.10.10.60:4000", resolve("ens33:4000", "").hostPort());
    }

    @Test
    void ipAndIpPort() throws Exception {
        assertEquals("10.1.2.3:2377", resolve("10.1.2.3", "").hostPort());
        assertEquals("10.1.2.3:2400", resolve("10.1.2.3:2400", "").hostPort());
    }

    @Test
    void emptyTakesAnExplicitListenAddressElseTheConfiguredOne() throws Exception {
        assertEquals("10.9.9.9:2377", resolve("", "10.9.9.9:2377").hostPort());
        assertEquals("192.168.1.5:2377", resolve("", "0.0.0.0:2377").hostPort());
        assertEquals("192.168.1.5:2377", resolve(null, null).hostPort());
    }

    @Test
    void badAddressesAreRefusedWithDockersWords() {
        var e = assertThrows(AdvertiseAddr.BadAddress.class, () -> resolve("nosuchif", ""));
        assertTrue(e.getMessage().startsWith("advertise address must be a non-zero IP address"));
        assertThrows(AdvertiseAddr.BadAddress.class, () -> resolve("0.0.0.0", ""));
        assertTrue(assertThrows(AdvertiseAddr.BadAddress.class, () -> resolve("multi", "")).getMessage()
                .contains("more than one IPv4 address"));
        assertThrows(AdvertiseAddr.BadAddress.class, () -> resolve("lo0", ""));
        assertThrows(AdvertiseAddr.BadAddress.class, () -> resolve("10.1.2.3:99999", ""));
    }
}
