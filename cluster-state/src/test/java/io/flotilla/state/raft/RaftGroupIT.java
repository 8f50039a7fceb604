package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.state.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Raft mechanics on three members in this JVM (real sockets and logs on disk, fsync off): every member
 * learns the leader of an idle new group, and a member stopped and started again catches up while writes
 * go on, by log entries (a few, or many megabytes of them) or by a snapshot when the leader's log no
 * longer reaches back far enough; a member left without a majority refuses writes at once (UNAVAILABLE)
 * and still answers reads of its last state.
 * With the other multi-member ITs behind -Dflotilla.slow=true: under a loaded machine its "writes went on
 * while the member was down" check failed in CI (0 batches written in the window).
 */
@EnabledIfSystemProperty(named = "flotilla.slow", matches = "true")
class RaftGroupIT {

    @Test
    void everyMemberOfAnIdleNewGroupKnowsTheLeader(@TempDir Path dir) throws Exception {
        try (LocalGroup g = new LocalGroup(dir, 3, 32 << 20)) {
            g.startAll();
            g.awaitLeader(30_000);
        }
    }

    @Test
    void aRestartedMemberCatchesUpUnderContinuousWrites(@TempDir Path dir) throws Exception {
        restartUnderLoad(dir, 32 << 20, 1, 0, 1500, false);
    }

    @Test
    void aMemberMissingMegabytesOfLogCatchesUpInChunksUnderWrites(@TempDir Path dir) throws Exception {
        // batches of 50 creates (about 2.5 kB an entry): megabytes missed, several resend chunks (the three
        // members share the test JVM's 256 MB heap: tens of thousands of objects each at most). Paced at 250
        // writes a second and down 3 s (about 750 batches, ~1.9 MB): unpaced on a quiet machine, 2,367 batches
        // were written and the heap ran out (CI)
        restartUnderLoad(dir, 64 << 20, 50, 250, 3000, false);
    }

    @Test
    void aMemberBehindTheLeadersLogGetsASnapshotUnderWrites(@TempDir Path dir) throws Exception {
        // a snapshot (and log truncation) every 200 kB: the stopped member's next entry is gone from the log.
        // Paced (400 writes of 20 creates a second): unpaced on a quiet machine the three members' objects
        // outgrew the test JVM's heap
        restartUnderLoad(dir, 200_000, 20, 400, 2000, true);
    }

    /**
     * A leader appended entries no one else got and died; the others went on in a later term at the same
     * indexes. Restarted, it must take the new leader's entries and never apply its own tail.
     */
    @Test
    void aMemberWithADeadLeadersUncommittedTailNeverAppliesIt(@TempDir Path dir) throws Exception {
        try (LocalGroup g = new LocalGroup(dir, 3, 32 << 20)) {
            writeLog(g, 0, 3, new long[] {1, 1, 1}, "x4", "x5", "x6"); // m1: the dead leader's tail, term 1
            writeLog(g, 1, 3, new long[] {2, 2}, "y4", "y5");         // m2, m3: term 2 at the same indexes
            writeLog(g, 2, 3, new long[] {2, 2}, "y4", "y5");
            g.startAll();
            int leader = g.awaitLeader(30_000);
            assertTrue(leader != 0, "a member with the latest term leads");
            ApplyResponse marker = g.store(leader).apply(Managers.createTask("after-restart")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            g.awaitIndex(marker.getIndex(), 20_000);
            Map<String, StoredObject> state = LocalGroup.dump(g.store(leader));
            assertEquals(java.util.Set.of("KIND_TASK/a1", "KIND_TASK/a2", "KIND_TASK/a3", "KIND_TASK/y4", "KIND_TASK/y5",
                    "KIND_TASK/after-restart"), state.keySet());
            for (int i = 0; i < 3; i++) {
                assertEquals(state, LocalGroup.dump(g.store(i)), g.ids.get(i) + " has the group's objects, none of the dead tail");
            }
        }
    }

    /** Member i's log before it starts: a1..a3 in term 1 (committed), then one create per tail id in the given terms. */
    private static void writeLog(LocalGroup g, int i, long commit, long[] tailTerms, String... tail) throws Exception {
        java.nio.file.Path logDir = g.root.resolve(g.ids.get(i)).resolve(g.ids.get(i) + ".log");
        java.nio.file.Files.createDirectories(logDir.getParent());
        org.jgroups.protocols.raft.FileBasedLog log = new org.jgroups.protocols.raft.FileBasedLog();
        log.init(logDir.toString(), new java.util.HashMap<>());
        try {
            org.jgroups.protocols.raft.LogEntries head = new org.jgroups.protocols.raft.LogEntries();
            for (String id : new String[] {"a1", "a2", "a3"}) {
                head.add(new org.jgroups.protocols.raft.LogEntry(1, command(id)));
            }
            log.append(1, head);
            org.jgroups.protocols.raft.LogEntries rest = new org.jgroups.protocols.raft.LogEntries();
            for (int k = 0; k < tail.length; k++) {
                rest.add(new org.jgroups.protocols.raft.LogEntry(tailTerms[k], command(tail[k])));
            }
            log.append(4, rest);
            log.commitIndex(commit);
        } finally {
            log.close();
        }
    }

    private static byte[] command(String taskId) {
        return RaftCommandMachine.encode(RaftCommandMachine.APPLY, Managers.createTask(taskId).toByteArray());
    }

    /**
     * {@code docker node demote} of the leader: the leader removes itself from the group. The other two elect
     * one of them, writes go on, and the old leader is no longer a voting member on either.
     */
    @Test
    void theLeaderRemovedFromTheGroupHandsOverToAnotherMember(@TempDir Path dir) throws Exception {
        try (LocalGroup g = new LocalGroup(dir, 3, 32 << 20)) {
            g.startAll();
            int leader = g.awaitLeader(30_000);
            String leaderId = g.ids.get(leader);
            g.store(leader).node().removeMember(leaderId).get(10, TimeUnit.SECONDS);
            long removed = System.nanoTime();
            int[] others = {(leader + 1) % 3, (leader + 2) % 3};
            long deadline = System.currentTimeMillis() + 20_000;
            String next = null;
            while (System.currentTimeMillis() < deadline) {
                String a = g.store(others[0]).node().leaderId();
                String b = g.store(others[1]).node().leaderId();
                if (a != null && a.equals(b) && !a.equals(leaderId)) {
                    next = a;
                    break;
                }
                Thread.sleep(10);
            }
            assertTrue(next != null, "the two remaining members agree on a new leader among them");
            System.out.printf("[raft-it] leader %s removed itself; %s leads after %d ms%n", leaderId, next,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - removed));
            int nextLeader = g.ids.indexOf(next);
            ApplyResponse after = g.store(nextLeader).apply(Managers.createTask("after-demotion")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertTrue(after.getApplied(), "the new leader commits with the two remaining members");
            for (int i : others) {
                assertEquals(java.util.List.of(g.ids.get(others[0]), g.ids.get(others[1])).stream().sorted().toList(),
                        g.store(i).node().members().stream().sorted().toList(), g.ids.get(i) + "'s voting members");
            }
        }
    }

    @Test
    void withoutAMajorityWritesFailAtOnceAndReadsOfTheLastStateStillAnswer(@TempDir Path dir) throws Exception {
        try (LocalGroup g = new LocalGroup(dir, 3, 32 << 20)) {
            g.startAll();
            int leader = g.awaitLeader(30_000);
            ApplyResponse before = g.store(leader).apply(Managers.createTask("before-quorum-loss")).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            g.awaitIndex(before.getIndex(), 10_000);
            int survivor = (leader + 1) % 3;
            g.stop(leader);
            g.stop((leader + 2) % 3);
            RaftStateStore s = g.store(survivor);
            double firstMs = -1;
            double lastMs = Double.MAX_VALUE;
            long deadline = System.currentTimeMillis() + 15_000;
            while (System.currentTimeMillis() < deadline && lastMs > 300) {
                long t0 = System.nanoTime();
                ExecutionException e = assertThrows(ExecutionException.class, () -> s.apply(Managers.createTask("lonely-" + System.nanoTime()))
                        .toCompletableFuture().get(10, TimeUnit.SECONDS));
                lastMs = (System.nanoTime() - t0) / 1e6;
                firstMs = firstMs < 0 ? lastMs : firstMs;
                StoreException se = assertInstanceOf(StoreException.class, e.getCause());
                assertEquals(StoreException.Reason.UNAVAILABLE, se.reason());
                assertTrue(se.getMessage().startsWith("no quorum"), se.getMessage());
                assertTrue(lastMs < 4500, "a write without quorum fails within the write timeout: " + lastMs + " ms");
            }
            assertTrue(lastMs <= 300, "once the member knows it is alone, writes fail at once: " + lastMs + " ms");
            ExecutionException read = assertThrows(ExecutionException.class,
                    () -> s.readBarrier().toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals(StoreException.Reason.UNAVAILABLE, ((StoreException) read.getCause()).reason(), "no linearizable read");
            assertTrue(s.get(io.flotilla.contracts.v1.Kind.KIND_TASK, "before-quorum-loss").isPresent(),
                    "the last known state still reads");
            System.out.printf("[raft-group-it] quorum lost: first write refused after %.0f ms, then after %.0f ms%n", firstMs, lastMs);
        }
    }

    /** {@code perSecond}: the load's pace (writes a second over its four writers; 0: as fast as answered). */
    private static void restartUnderLoad(Path dir, long maxLogBytes, int batch, int perSecond, long downMs,
                                         boolean bySnapshot) throws Exception {
        try (LocalGroup g = new LocalGroup(dir, 3, maxLogBytes)) {
            g.startAll();
            int leader = g.awaitLeader(30_000);
            int follower = (leader + 1) % 3;
            try (LocalGroup.Load load = g.new Load(4, batch, perSecond)) {
                Thread.sleep(1000);
                g.stop(follower);
                long before = g.store(leader).index();
                long beforeInLog = g.store(leader).node().commitIndex();
                // down for downMs and until the others have committed 50 batches more (a loaded machine may
                // commit none in a fixed window: CI saw 0 in 1.5 s) and, for a snapshot, until the leader's log
                // starts 50 entries after the stopped member's last (CI saw 110 batches, no truncation), within 60 s
                long deadline = System.currentTimeMillis() + 60_000;
                Thread.sleep(downMs);
                while ((g.store(leader).index() - before <= 50
                        || bySnapshot && g.store(leader).node().firstLogIndex() <= beforeInLog + 50)
                        && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
                if (bySnapshot && g.store(leader).node().firstLogIndex() <= beforeInLog + 50) {
                    // a machine this loaded did not fill the log to its size limit in time: truncate it now, so that
                    // the member's next entry is gone all the same (CI once restarted it before any truncation)
                    g.store(leader).node().snapshot();
                }
                System.out.printf("[raft-group-it] the leader's log starts at %d; the stopped member's commit was %d%n",
                        g.store(leader).node().firstLogIndex(), beforeInLog);
                g.start(follower);
                g.store(follower).started().get(30, TimeUnit.SECONDS);
                long target = g.store(leader).index();
                long t0 = System.nanoTime();
                g.awaitIndex(target, 30_000);
                System.out.printf("[raft-group-it] %s restarted after %d batches of %d missed; caught up under load in %.0f ms%n",
                        g.ids.get(follower), target - before, batch, (System.nanoTime() - t0) / 1e6);
                assertTrue(target - before > 50, "writes went on while the member was down: " + (target - before)
                        + " batches, failures " + load.errors);
                // the store's objects change while the install runs, and it is counted once it has ended (the log
                // reset after the objects): CI read the count between the two on a loaded machine
                long counted = System.currentTimeMillis() + 10_000;
                while (bySnapshot && g.store(follower).node().snapshotsInstalled() == 0 && System.currentTimeMillis() < counted) {
                    Thread.sleep(20);
                }
                assertEquals(bySnapshot, g.store(follower).node().snapshotsInstalled() > 0, "caught up by a snapshot");
            }
            long index = g.store(leader).readBarrier().toCompletableFuture().get(5, TimeUnit.SECONDS);
            g.awaitIndex(index, 20_000);
            Map<String, StoredObject> state = LocalGroup.dump(g.store(leader));
            for (int i : g.running()) {
                Map<String, StoredObject> member = LocalGroup.dump(g.store(i));
                if (!state.equals(member)) {
                    java.util.TreeMap<Long, String> missing = new java.util.TreeMap<>();
                    state.forEach((k, o) -> {
                        if (!o.equals(member.get(k))) {
                            missing.merge(io.flotilla.state.store.StoredObjects.version(o), k, (a, b) -> a);
                        }
                    });
                    throw new AssertionError(g.ids.get(i) + " differs from the leader: " + (state.size() - member.size())
                            + " objects fewer; store index " + g.store(i).index() + " (leader " + g.store(leader).index()
                            + "), snapshots installed " + g.store(i).node().snapshotsInstalled()
                            + "; versions (store indexes) differing on the leader: " + missing.keySet());
                }
            }
        }
    }
}
