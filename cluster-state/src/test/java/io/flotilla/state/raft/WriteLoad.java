package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client threads writing task creates through the gRPC Store API, spread over the live managers (a
 * follower forwards to the leader). Remembers every acknowledged write (id -> version) and when writes
 * were accepted, to measure how long after a leader's death writes are accepted again.
 */
public final class WriteLoad implements AutoCloseable {
    private final Managers cluster;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    /** Acknowledged writes: task id -> version. */
    public final Map<String, Long> acked = new ConcurrentHashMap<>();
    public final AtomicLong failures = new AtomicLong();
    /** nanoTime at which the earliest write that was sent after {@link #mark} was acknowledged. */
    private final AtomicLong firstAckAfterMark = new AtomicLong(Long.MAX_VALUE);
    private volatile long mark = Long.MAX_VALUE;
    private final long callTimeoutMs;

    public WriteLoad(Managers cluster, int threadCount, String prefix, long callTimeoutMs) {
        this.cluster = cluster;
        this.callTimeoutMs = callTimeoutMs;
        for (int t = 0; t < threadCount; t++) {
            int n = t;
            Thread th = new Thread(() -> run(prefix + n), "writer-" + n);
            th.setDaemon(true);
            threads.add(th);
        }
        threads.forEach(Thread::start);
    }

    private void run(String name) {
        long seq = 0;
        int pick = name.hashCode();
        while (running) {
            List<Managers.Manager> alive = cluster.alive();
            if (alive.isEmpty()) {
                sleep(20);
                continue;
            }
            Managers.Manager m = alive.get(Math.floorMod(pick++, alive.size()));
            String id = name + "-" + seq++;
            long sent = System.nanoTime();
            try {
                ApplyResponse r = m.stub(callTimeoutMs).apply(Managers.createTask(id));
                if (Managers.ok(r)) {
                    acked.put(id, r.getIndex());
                    if (sent > mark) {
                        long now = System.nanoTime();
                        firstAckAfterMark.accumulateAndGet(now, Math::min);
                    }
                } else {
                    failures.incrementAndGet();
                }
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                sleep(10);
            }
        }
    }

    /** From now on, remember the first write sent after this moment that is acknowledged. */
    public void mark(long nanoTime) {
        firstAckAfterMark.set(Long.MAX_VALUE);
        mark = nanoTime;
    }

    /** Waits for the first write sent after the mark to be acknowledged; ms from the mark, or -1. */
    public double awaitFirstAckMs(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            long t = firstAckAfterMark.get();
            if (t != Long.MAX_VALUE) {
                return (t - mark) / 1e6;
            }
            sleep(5);
        }
        return -1;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(callTimeoutMs + 2000);
        }
    }
}
