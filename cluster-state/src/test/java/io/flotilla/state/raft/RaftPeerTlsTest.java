package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.state.ca.NodeCertificates;
import io.flotilla.state.tls.PeerTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Manager-to-manager traffic (the Raft port) is mutual TLS: members with manager certificates of the
 * cluster CA form the group; a member with another CA's certificate, a worker's certificate, or none (plain
 * sockets) is never let in and learns nothing of the state; given a manager certificate it joins and
 * catches up.
 */
class RaftPeerTlsTest {
    private static final NodeCertificates.Authority CA = NodeCertificates.newRoot(System.currentTimeMillis());
    private static final NodeCertificates.Authority OTHER_CA = NodeCertificates.newRoot(System.currentTimeMillis());

    /** Writes node files (cert, key, ca) for nodeId under dir, issued by ca with the role; returns the TLS. */
    private static PeerTls identity(Path dir, String nodeId, NodeCertificates.Authority ca, NodeRole role) throws Exception {
        Files.createDirectories(dir);
        KeyPair kp = NodeCertificates.newKeyPair();
        String cert = NodeCertificates.issue(ca.certPem(), ca.keyPem(), kp.getPublic().getEncoded(), nodeId, role, "cluster1",
                System.currentTimeMillis());
        Files.writeString(dir.resolve("swarm-node.crt"), cert);
        Files.writeString(dir.resolve("swarm-node.key"), NodeCertificates.pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        Files.writeString(dir.resolve("swarm-root-ca.crt"), ca.certPem());
        return new PeerTls(dir.resolve("swarm-node.crt"), dir.resolve("swarm-node.key"), dir.resolve("swarm-root-ca.crt"));
    }

    @Test
    void onlyManagersOfTheClusterCaJoinTheRaftGroup(@TempDir Path dir) throws Exception {
        try (LocalGroup g = new LocalGroup(dir.resolve("raft"), 3, 32 << 20)) {
            PeerTls m1 = identity(dir.resolve("id1"), "m1", CA, NodeRole.ROLE_MANAGER);
            PeerTls m2 = identity(dir.resolve("id2"), "m2", CA, NodeRole.ROLE_MANAGER);
            PeerTls[] third = {identity(dir.resolve("id3-other-ca"), "m3", OTHER_CA, NodeRole.ROLE_MANAGER)};
            g.sockets = i -> (i == 0 ? m1 : i == 1 ? m2 : third[0]) == null ? null
                    : (i == 0 ? m1 : i == 1 ? m2 : third[0]).socketFactory();
            g.start(0);
            g.start(1);
            g.start(2);
            int leader = awaitLeaderAmong(g, 0, 1);
            ApplyResponse written = g.store(leader).apply(Managers.createTask("over-tls")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertTrue(written.getApplied(), "two managers of the CA commit over TLS");

            PeerTls worker = identity(dir.resolve("id3-worker"), "m3", CA, NodeRole.ROLE_WORKER);
            for (PeerTls intruder : new PeerTls[]{third[0], worker, null}) {
                if (intruder != third[0]) {
                    g.stop(2);
                    third[0] = intruder;
                    g.start(2);
                }
                Thread.sleep(3000);
                assertNull(g.store(2).node().leaderId(), "a member with " + describe(intruder) + " knows no leader");
                assertEquals(0, g.store(2).index(), "a member with " + describe(intruder) + " got none of the state");
                assertEquals(java.util.List.of("m1", "m2"), g.store(leader).node().reachable().stream().sorted().toList(),
                        "the group's view holds the two managers only");
            }

            g.stop(2);
            third[0] = identity(dir.resolve("id3"), "m3", CA, NodeRole.ROLE_MANAGER);
            g.start(2);
            g.awaitIndex(written.getIndex(), 30_000);
            assertEquals(LocalGroup.dump(g.store(leader)), LocalGroup.dump(g.store(2)),
                    "with a manager certificate of the CA it joins and catches up");
        }
    }

    @Test
    void aManagerWhoseHandshakesAreSlowJoinsTheGroupInsteadOfFormingItsOwn(@TempDir Path dir) throws Exception {
        try (LocalGroup g = new LocalGroup(dir.resolve("raft"), 3, 32 << 20)) {
            PeerTls[] ids = {identity(dir.resolve("id1"), "m1", CA, NodeRole.ROLE_MANAGER),
                    identity(dir.resolve("id2"), "m2", CA, NodeRole.ROLE_MANAGER),
                    identity(dir.resolve("id3"), "m3", CA, NodeRole.ROLE_MANAGER)};
            // the group's members answer a new connection only after 1.5 s (a loaded host, as on the lab)
            g.sockets = i -> i < 2 ? SlowAcceptSockets.of(ids[i].socketFactory(), 1500) : ids[i].socketFactory();
            g.start(0);
            g.start(1);
            int leader = awaitLeaderAmong(g, 0, 1);
            ApplyResponse written = g.store(leader).apply(Managers.createTask("before-m3")).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            g.start(2);
            long deadline = System.currentTimeMillis() + 30_000;
            java.util.List<String> seen = java.util.List.of();
            while (System.currentTimeMillis() < deadline && seen.size() < 3) {
                seen = g.store(2).node().reachable();
                assertTrue(!seen.equals(java.util.List.of("m3")), "m3 formed a group of its own instead of joining m1 and m2");
                Thread.sleep(10);
            }
            assertEquals(java.util.List.of("m1", "m2", "m3"), seen.stream().sorted().toList(), "m3 joined the group's view");
            g.awaitIndex(written.getIndex(), 30_000);
            assertEquals(LocalGroup.dump(g.store(leader)), LocalGroup.dump(g.store(2)), "and caught up");
        }
    }

    private static String describe(PeerTls intruder) {
        return intruder == null ? "plain sockets" : "a certificate of another CA or a worker's";
    }

    private static int awaitLeaderAmong(LocalGroup g, int a, int b) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            String la = g.store(a).node().started() ? g.store(a).node().leaderId() : null;
            String lb = g.store(b).node().started() ? g.store(b).node().leaderId() : null;
            if (la != null && la.equals(lb)) {
                return g.ids.indexOf(la);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("m1 and m2 agreed on no leader");
    }
}
