package io.flotilla.state.raft;

import io.flotilla.contracts.v1.GetRequest;
import io.flotilla.contracts.v1.Kind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three managers in network namespaces of their own (fx-raft-1..3), joined by veths to a bridge in a
 * fourth (fx-raft-sw) on 10.99.0.0/25; the test reaches each manager's gRPC port over a separate veth from
 * the root namespace (10.99.0.128/25, one /30 each), so cutting a manager's Raft link leaves it reachable.
 * The leader's link goes down: it cannot commit (writes fail with UNAVAILABLE "no quorum", bounded by the
 * write timeout, at once once it has seen the others go), the majority elects a leader and goes on; the
 * link comes up: the old leader converges to the same objects and versions. Needs root and iproute2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RaftPartitionIT {
    private static final String SWITCH = "fx-raft-sw";
    private Managers cluster;
    private final List<String> namespaces = new ArrayList<>();

    static void ip(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @BeforeAll
    void setUp() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("flotilla.slow"),
                "three manager JVMs (about a minute): run with -Dflotilla.slow=true");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "network namespaces need root");
        cleanUp();
        ip("netns", "add", SWITCH);
        namespaces.add(SWITCH);
        ip("-n", SWITCH, "link", "add", "br0", "type", "bridge");
        ip("-n", SWITCH, "link", "set", "br0", "up");
        cluster = new Managers("partition");
        for (int i = 1; i <= 3; i++) {
            String ns = "fx-raft-" + i;
            ip("netns", "add", ns);
            namespaces.add(ns);
            // ip netns exec binds /etc/netns/NS/* over /etc: no resolver to wait for, this host's name local
            java.nio.file.Path etc = java.nio.file.Path.of("/etc/netns", ns);
            java.nio.file.Files.createDirectories(etc);
            java.nio.file.Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost " + java.net.InetAddress.getLoopbackAddress().getHostName()
                    + " " + new String(new ProcessBuilder("hostname").start().getInputStream().readAllBytes()).trim() + "\n");
            java.nio.file.Files.writeString(etc.resolve("resolv.conf"), "");
            ip("-n", ns, "link", "set", "lo", "up");
            // Raft link: eth0 in the member's namespace, its peer on the switch's bridge
            ip("link", "add", "fxr" + i + "a", "type", "veth", "peer", "name", "fxr" + i + "b");
            ip("link", "set", "fxr" + i + "a", "netns", ns);
            ip("-n", ns, "link", "set", "fxr" + i + "a", "name", "eth0");
            ip("-n", ns, "addr", "add", "10.99.0." + i + "/25", "dev", "eth0");
            ip("-n", ns, "link", "set", "eth0", "up");
            ip("link", "set", "fxr" + i + "b", "netns", SWITCH);
            ip("-n", SWITCH, "link", "set", "fxr" + i + "b", "master", "br0", "up");
            // test link: root namespace <-> member, a /30 of its own
            int base = 128 + 4 * i;
            ip("link", "add", "fxr" + i + "m", "type", "veth", "peer", "name", "fxr" + i + "n");
            ip("link", "set", "fxr" + i + "n", "netns", ns);
            ip("-n", ns, "addr", "add", "10.99.0." + (base + 2) + "/30", "dev", "fxr" + i + "n");
            ip("-n", ns, "link", "set", "fxr" + i + "n", "up");
            ip("addr", "add", "10.99.0." + (base + 1) + "/30", "dev", "fxr" + i + "m");
            ip("link", "set", "fxr" + i + "m", "up");
            Managers.Manager m = cluster.add("m" + i, "10.99.0." + i, 2377, 9102, 7946, List.of("ip", "netns", "exec", ns));
            m.clientHost = "10.99.0." + (base + 2);
        }
        cluster.startAll();
        cluster.awaitLeader(cluster.managers, 60_000);
    }

    @AfterAll
    void cleanUp() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        for (String ns : List.of("fx-raft-1", "fx-raft-2", "fx-raft-3", SWITCH)) {
            try {
                ip("netns", "del", ns); // its veths go with it, and their peers in the root namespace
                java.nio.file.Path etc = java.nio.file.Path.of("/etc/netns", ns);
                java.nio.file.Files.deleteIfExists(etc.resolve("hosts"));
                java.nio.file.Files.deleteIfExists(etc.resolve("resolv.conf"));
                java.nio.file.Files.deleteIfExists(etc);
            } catch (IllegalStateException absent) {
                // not there
            }
        }
        // a namespace outlives its deletion while the kernel tears it down: the root ends of its veths with it
        for (int i = 1; i <= 3; i++) {
            try {
                ip("link", "del", "fxr" + i + "m");
            } catch (IllegalStateException absent) {
                // gone with its namespace
            }
        }
    }

    @Test
    void aCutOffLeaderCannotCommitTheMajorityGoesOnAndItConvergesAfterHealing() throws Exception {
        try {
            cutOffLeader();
        } catch (Throwable t) {
            cluster.threadDumps();
            throw t;
        }
    }

    private void cutOffLeader() throws Exception {
        Managers.Manager leader = cluster.awaitLeader(cluster.managers, 30_000);
        for (int i = 0; i < 20; i++) {
            assertTrue(Managers.ok(cluster.get(i % 3).stub(5000).apply(Managers.createTask("before-cut-" + i))));
        }
        List<Managers.Manager> majority = cluster.managers.stream().filter(m -> m != leader).toList();
        ip("-n", "fx-raft-" + leader.id.substring(1), "link", "set", "eth0", "down");
        long cut = System.nanoTime();

        // the cut-off leader: a write fails as UNAVAILABLE "no quorum", bounded by the write timeout (3 s)
        long t = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> leader.stub(10_000).apply(Managers.createTask("minority-1")));
        double firstMs = (System.nanoTime() - t) / 1e6;
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        assertTrue(e.getStatus().getDescription().contains("no quorum"), e.getStatus().getDescription());
        assertTrue(firstMs < 4500, "the write failed within the write timeout, not hung: " + firstMs + " ms");

        // the majority elects a leader among itself and commits
        Managers.Manager newLeader = cluster.awaitLeader(majority, 30_000);
        double electedMs = (System.nanoTime() - cut) / 1e6;
        assertNotEquals(leader.id, newLeader.id);
        for (int i = 0; i < 20; i++) {
            assertTrue(Managers.ok(majority.get(i % 2).stub(5000).apply(Managers.createTask("during-cut-" + i))));
        }

        // once the cut-off member has seen the others go, its writes fail at once; its last state still reads
        long wait = System.currentTimeMillis() + 15_000;
        double laterMs = Double.MAX_VALUE;
        while (System.currentTimeMillis() < wait && laterMs > 500) {
            t = System.nanoTime();
            e = assertThrows(StatusRuntimeException.class, () -> leader.stub(10_000).apply(Managers.createTask("minority-" + System.nanoTime())));
            laterMs = (System.nanoTime() - t) / 1e6;
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("no quorum"), e.getStatus().getDescription());
        }
        assertTrue(laterMs <= 500, "writes on the minority fail fast once it has lost the others: " + laterMs + " ms");
        assertEquals("svc-it", leader.stub(5000).get(GetRequest.newBuilder().setKind(Kind.KIND_TASK).setId("before-cut-3").build())
                .getObject().getTask().getServiceId(), "the minority still answers reads of its last known state");
        System.out.printf("[raft-partition-it] cut-off leader %s: first write refused after %.0f ms, later ones after %.0f ms; "
                + "majority leader %s after %.0f ms%n", leader.id, firstMs, laterMs, newLeader.id, electedMs);

        // heal: the old leader converges to the majority's objects and versions
        ip("-n", "fx-raft-" + leader.id.substring(1), "link", "set", "eth0", "up");
        long healed = System.nanoTime();
        Map<String, Long> state = cluster.awaitConverged(cluster.managers, 60_000);
        System.out.printf("[raft-partition-it] healed: converged after %.1f s (%d objects)%n", (System.nanoTime() - healed) / 1e9, state.size());
        for (int i = 0; i < 20; i++) {
            assertTrue(state.containsKey("KIND_TASK/during-cut-" + i));
            assertTrue(state.containsKey("KIND_TASK/before-cut-" + i));
        }
        assertTrue(Managers.ok(leader.stub(5000).apply(Managers.createTask("after-heal"))), "the healed member accepts writes again");
    }
}
