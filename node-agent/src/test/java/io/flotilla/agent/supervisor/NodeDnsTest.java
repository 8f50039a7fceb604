package io.flotilla.agent.supervisor;

import io.flotilla.agent.swarm.SwarmState;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeDnsTest {

    @Test
    void aManagersDnsFollowsItsOwnStoreAWorkersItsFirstManagerAndANonMemberNone() {
        assertEquals("store=127.0.0.1:2377\nnode=m1\nidentity=0\n",
                NodeDns.storeText(new SwarmState.Snapshot("m1", true, true, List.of("10.0.0.1:2377")), 0));
        assertEquals("store=10.0.0.1:2377\nnode=w1\nidentity=0\n",
                NodeDns.storeText(new SwarmState.Snapshot("w1", true, false, List.of("10.0.0.1:2377", "10.0.0.2:2377")), 0));
        assertEquals("store=10.0.0.1:2377\nnode=w1\nidentity=0\n",
                NodeDns.storeText(new SwarmState.Snapshot("w1", true, false, List.of("10.0.0.1")), 0), "the default port");
        assertNull(NodeDns.storeText(new SwarmState.Snapshot("w1", false, false, List.of()), 0));
        assertNull(NodeDns.storeText(new SwarmState.Snapshot("w1", true, false, List.of()), 0), "no manager known yet");
    }

    @Test
    void aRenewedCertificateOrAnotherSwarmChangesTheTextSoDnsConnectsAgain() {
        SwarmState.Snapshot s = new SwarmState.Snapshot("w1", true, false, List.of("10.0.0.1:2377"));
        assertNotEquals(NodeDns.storeText(s, 0), NodeDns.storeText(s, 1));
        SwarmState.Snapshot rejoined = new SwarmState.Snapshot("w2", true, false, List.of("10.0.0.1:2377"));
        assertNotEquals(NodeDns.storeText(s, 0), NodeDns.storeText(rejoined, 0));
    }

    @Test
    void theStoreIsNamedOnceTheSessionIsUpAndRemovedAtALeave(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        AtomicBoolean up = new AtomicBoolean();
        NodeDns dns = new NodeDns();
        dns.run = dir.toString();
        dns.swarmState = new SwarmState(dir, "w1");
        dns.sessions = new io.flotilla.agent.session.SessionStarter() {
            @Override
            public boolean sessionUp() {
                return up.get();
            }
        };
        Path file = dns.storeFile();
        SwarmState.Snapshot joined = new SwarmState.Snapshot("w1", true, false, List.of("10.0.0.1:2377"));
        dns.swarmState.update(joined);
        dns.apply(joined);
        Thread.sleep(200);
        assertFalse(Files.exists(file), "held back while the join's session is not up");
        up.set(true);
        long deadline = System.currentTimeMillis() + 5_000;
        while (!Files.exists(file) && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(NodeDns.storeText(joined, 0), Files.readString(file));
        SwarmState.Snapshot left = new SwarmState.Snapshot("w1", false, false, List.of());
        dns.swarmState.update(left);
        dns.apply(left);
        assertFalse(Files.exists(file), "no store out of a swarm");
    }

    @Test
    void dnsIsStartedWithoutAStoreOrANodeIdAndToldWhereToLookForTheStore() {
        Map<String, String> env = ManagerEnv.nodeDns(NodeDns.DNS, "swarm01", "/d", "k:9092", "10.0.0.2",
                Path.of("/run/f/dns-svc.store"));
        assertEquals("/run/f/dns-svc.store", env.get("FLOTILLA_STORE_FILE"));
        assertFalse(env.containsKey("FLOTILLA_STORE_HOST"));
        assertFalse(env.containsKey("FLOTILLA_NODE_ID"));
        assertEquals("9106", env.get("FLOTILLA_HTTP_PORT"));
        assertEquals("k:9092", env.get("FLOTILLA_KAFKA"));
        assertEquals("/d/certificates/swarm-node.crt", env.get("FLOTILLA_TLS_CERT"));
        assertFalse(ManagerEnv.MODULES.stream().anyMatch(m -> m.name().equals("dns-svc")),
                "not one of the manager services");
    }
}
