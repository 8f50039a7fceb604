package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Benchmarks of the store on three manager JVMs (figures printed, not asserted; see design/store.md).
 * Run: mvn -o -q -B -pl cluster-state -Dflotilla.build.dir=/tmp/x verify -Dit -Dit.test=RaftBenchIT -Dflotilla.bench=true
 */
class RaftBenchIT {

    @Test
    void bench() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("flotilla.bench"), "benchmarks run with -Dflotilla.bench=true");
        try (Managers cluster = Managers.onLoopback("bench", 3)) {
            cluster.startAll();
            Managers.Manager leader = cluster.awaitLeader(cluster.managers, 60_000);

            // single writes, one client, on the leader
            List<Double> lat = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                long t = System.nanoTime();
                assertTrue(Managers.ok(leader.stub(5000).apply(Managers.createTask("single-" + i))));
                if (i >= 100) {
                    lat.add((System.nanoTime() - t) / 1e6);
                }
            }
            lat.sort(Double::compare);
            System.out.printf("[bench] single write (3 managers, fsync): p50 %.2f ms, p99 %.2f ms%n",
                    lat.get(lat.size() / 2), lat.get((int) (lat.size() * 0.99)));

            // batched throughput: 8 clients, batches of 500 creates, on the leader, 100 000 objects
            int batch = 500;
            int batches = 200;
            AtomicLong next = new AtomicLong();
            AtomicLong committed = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int c = 0; c < 8; c++) {
                Managers.Manager target = leader;
                Thread th = new Thread(() -> {
                    long b;
                    while ((b = next.getAndIncrement()) < batches) {
                        ApplyRequest.Builder r = ApplyRequest.newBuilder();
                        for (int k = 0; k < batch; k++) {
                            r.addChanges(Managers.createTask("bulk-" + b + "-" + k).getChanges(0));
                        }
                        ApplyResponse resp = target.stub(30_000).apply(r.build());
                        if (resp.getApplied()) {
                            committed.addAndGet(resp.getOutcomesCount());
                        }
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("[bench] batched: %d changes in %.1f s = %.0f changes/s (batches of %d, 8 clients, 3 managers, fsync)%n",
                    committed.get(), secs, committed.get() / secs, batch);

            // restart of the whole group holding > 100 000 objects, and of one manager
            long objects = 600 + committed.get();
            cluster.awaitSameIndex(cluster.managers, 120_000);
            for (Managers.Manager m : cluster.managers) {
                m.kill9();
            }
            long r0 = System.nanoTime();
            cluster.startAll();
            cluster.awaitLeader(cluster.managers, 120_000);
            System.out.printf("[bench] whole group restart with %d objects: leader + linearizable read after %.1f s%n", objects,
                    (System.nanoTime() - r0) / 1e9);
            cluster.awaitSameIndex(cluster.managers, 120_000);
            Managers.Manager one = cluster.managers.stream().filter(m -> !m.id.equals(m.members().getLeaderId())).findFirst().orElseThrow();
            one.kill9();
            long s0 = System.nanoTime();
            one.start();
            cluster.awaitCaughtUp(one, 120_000);
            System.out.printf("[bench] one manager (%d objects) restarted: rejoined, caught up and ready after %.1f s%n", objects,
                    (System.nanoTime() - s0) / 1e9);

            // leader kill -> first accepted write (median of flotilla.bench.rounds, 7)
            int rounds = Integer.getInteger("flotilla.bench.rounds", 7);
            List<Double> failovers = new ArrayList<>();
            try (WriteLoad load = new WriteLoad(cluster, 4, "fo", 1000)) {
                for (int round = 0; round < rounds; round++) {
                    Managers.Manager l = cluster.awaitLeader(cluster.managers, 60_000);
                    Thread.sleep(1000);
                    load.mark(l.kill9()); // from the signal: spawning kill takes ms in which the leader still commits
                    double ms = load.awaitFirstAckMs(20_000);
                    failovers.add(ms);
                    System.out.printf("[bench] round %d: leader %s killed, first write accepted after %.0f ms%n", round, l.id, ms);
                    l.start();
                    cluster.awaitLeader(cluster.managers, 60_000);
                    cluster.awaitCaughtUp(l, 120_000);
                }
            }
            System.out.printf("[bench] leader kill -> first accepted write (3 managers, 4 writers): %s ms; median %.0f ms%n",
                    failovers, Managers.median(failovers));
        }
    }
}
