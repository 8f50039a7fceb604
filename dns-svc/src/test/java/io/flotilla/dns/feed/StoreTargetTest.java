package io.flotilla.dns.feed;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StoreTargetTest {

    @Test
    void namesTheStoreOfItsStoreLine() {
        StoreTarget t = StoreTarget.parse("store=10.10.10.60:2377\nidentity=1\n").orElseThrow();
        assertEquals("10.10.10.60", t.host());
        assertEquals(2377, t.port());
        assertEquals("10.10.10.60:2377", t.toString());
        StoreTarget v6 = StoreTarget.parse("store=[fd00::1]:2377").orElseThrow();
        assertEquals("fd00::1", v6.host());
        assertEquals("[fd00::1]:2377", v6.toString());
    }

    @Test
    void anEmptyFileOrOneWithoutAStoreNamesNone() {
        assertEquals(Optional.empty(), StoreTarget.parse(""));
        assertEquals(Optional.empty(), StoreTarget.parse("identity=3\n"));
    }

    @Test
    void aRewrittenFileIsAnotherTargetEvenForTheSameStore() {
        // the agent's way to make the feed connect again (a renewed certificate)
        assertNotEquals(StoreTarget.parse("store=10.0.0.1:2377\nidentity=1\n"),
                StoreTarget.parse("store=10.0.0.1:2377\nidentity=2\n"));
        assertEquals(StoreTarget.parse("store=10.0.0.1:2377\n"), StoreTarget.parse("store=10.0.0.1:2377\n"));
    }

    @Test
    void aMalformedStoreLineIsAnError() {
        for (String bad : new String[]{"store=10.0.0.1", "store=10.0.0.1:", "store=:2377", "store=h:x", "store=h:0",
                "store=h:70000"}) {
            assertThrows(IllegalArgumentException.class, () -> StoreTarget.parse(bad), bad);
        }
    }
}
