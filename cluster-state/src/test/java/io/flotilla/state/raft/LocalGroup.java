package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.state.store.StoreStateMachine;
import io.flotilla.state.store.StoredObjects;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Test harness: a Raft group of stores in this JVM (own ports and directories, fsync off), whose members
 * can be stopped and started again from their directories. Quicker than manager JVMs for the Raft
 * mechanics (catch-up, elections); {@link Managers} tests the packaged service.
 */
final class LocalGroup implements AutoCloseable {
    final List<String> ids;
    final List<Integer> ports;
    final Path root;
    final long maxLogBytes;
    private final RaftStateStore[] stores;
    /** Member i's transport sockets (null: plain), read at each start. */
    java.util.function.IntFunction<org.jgroups.util.SocketFactory> sockets = i -> null;

    LocalGroup(Path root, int n, long maxLogBytes) throws Exception {
        this.root = root;
        this.maxLogBytes = maxLogBytes;
        this.ids = IntStream.rangeClosed(1, n).mapToObj(i -> "m" + i).toList();
        List<Integer> p = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            p.add(Managers.freePort());
        }
        this.ports = List.copyOf(p);
        this.stores = new RaftStateStore[n];
        logLevels(System.getProperty("flotilla.it.log", ""));
    }

    /** -Dflotilla.it.log=org.jgroups.protocols.raft=FINE,... : log levels while debugging a test. */
    static void logLevels(String spec) {
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                java.util.logging.Logger l = java.util.logging.Logger.getLogger(part.substring(0, eq).trim());
                l.setLevel(java.util.logging.Level.parse(part.substring(eq + 1).trim()));
                LOGGERS.add(l);
            }
        }
    }

    private static final List<java.util.logging.Logger> LOGGERS = new java.util.concurrent.CopyOnWriteArrayList<>();

    RaftConfig config(int i) {
        String spec = IntStream.range(0, ids.size()).mapToObj(k -> ids.get(k) + "@127.0.0.1:" + ports.get(k))
                .collect(Collectors.joining(","));
        return new RaftConfig(ids.get(i), RaftConfig.parseMembers(spec, ids.get(i), "127.0.0.1", ports.get(i)), "127.0.0.1",
                ports.get(i), "127.0.0.1", root.resolve(ids.get(i)), false, maxLogBytes, 3000);
    }

    /** Starts member i (from its directory if it ran before); returns at once. */
    void start(int i) {
        RaftStateStore s = new RaftStateStore(config(i), 20_000); // three members share the test JVM's heap
        s.node().socketFactory(sockets.apply(i));
        stores[i] = s;
        s.startAsync();
    }

    void startAll() {
        for (int i = 0; i < stores.length; i++) {
            start(i);
        }
    }

    /** Stops member i (its channel closes; the log stays on disk). */
    void stop(int i) {
        RaftStateStore s = stores[i];
        stores[i] = null;
        if (s != null) {
            s.close();
        }
    }

    RaftStateStore store(int i) {
        return stores[i];
    }

    List<Integer> running() {
        return IntStream.range(0, stores.length).filter(i -> stores[i] != null).boxed().toList();
    }

    /** Waits until every running member names the same leader, one of them; returns its position. */
    int awaitLeader(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            String leader = null;
            boolean agreed = true;
            for (int i : running()) {
                RaftStateStore s = stores[i];
                String l = s.node().started() ? s.node().leaderId() : null;
                if (l == null || leader != null && !leader.equals(l)) {
                    agreed = false;
                    last = ids.get(i) + " sees leader " + l;
                    break;
                }
                leader = l;
            }
            if (agreed && leader != null && running().contains(ids.indexOf(leader))) {
                return ids.indexOf(leader);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader agreed on within " + timeoutMs + " ms: " + last);
    }

    /** Waits until each of the stores (started outside the group) names {@code leader} as the leader. */
    static void awaitLeaderSeen(String leader, long timeoutMs, RaftStateStore... members) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!java.util.Arrays.stream(members).allMatch(m -> leader.equals(m.node().leaderId()))) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("no leader in " + timeoutMs + " ms: " + java.util.Arrays.stream(members)
                        .map(m -> m.node().raftId() + " sees " + m.node().leaderId()).toList());
            }
            Thread.sleep(50);
        }
    }

    /** Waits until every running member has applied at least the given store index. */
    void awaitIndex(long index, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (running().stream().allMatch(i -> stores[i].index() >= index)) {
                return;
            }
            Thread.sleep(20);
        }
        if (Boolean.getBoolean("flotilla.it.thread-dump")) {
            Thread.getAllStackTraces().forEach((t, st) -> {
                StringBuilder b = new StringBuilder("THREAD " + t.getName() + " " + t.getState() + "\n");
                for (int k = 0; k < Math.min(st.length, 30); k++) {
                    b.append("    at ").append(st[k]).append('\n');
                }
                System.out.print(b);
            });
        }
        throw new AssertionError("not every member reached index " + index + " within " + timeoutMs + " ms: "
                + running().stream().map(i -> ids.get(i) + "=" + stores[i].index()).toList());
    }

    static Map<String, StoredObject> dump(RaftStateStore s) {
        Map<String, StoredObject> out = new TreeMap<>();
        for (Kind k : StoreStateMachine.kinds()) {
            for (StoredObject o : s.list(k, Map.of())) {
                out.put(k.name() + "/" + StoredObjects.id(o), o);
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (int i = 0; i < stores.length; i++) {
            stop(i);
        }
    }

    /** Writer threads creating tasks on whichever member is running (a follower forwards to the leader). */
    final class Load implements AutoCloseable {
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        final AtomicLong failures = new AtomicLong();
        final Map<String, Integer> errors = new ConcurrentHashMap<>();
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean running = true;
        private final int batch;
        private final long pauseNanos;

        Load(int threadCount) {
            this(threadCount, 1);
        }

        /** Each write a batch of {@code batch} task creates (the first one's id is remembered). */
        Load(int threadCount, int batch) {
            this(threadCount, batch, 0);
        }

        /**
         * The same, at most {@code perSecond} writes a second over all writers (0: as fast as they are answered):
         * the members share the test JVM's heap, and an unpaced load on a quiet machine creates objects faster
         * than it holds them.
         */
        Load(int threadCount, int batch, int perSecond) {
            this.batch = batch;
            this.pauseNanos = perSecond <= 0 ? 0 : TimeUnit.SECONDS.toNanos(threadCount) / perSecond;
            for (int t = 0; t < threadCount; t++) {
                int n = t;
                Thread th = new Thread(() -> run("w" + n, n), "load-" + n);
                th.setDaemon(true);
                threads.add(th);
                th.start();
            }
        }

        /** Writer n starts at member n: the writers are spread over the members, not all on one at a time. */
        private void run(String name, long seq) {
            long next = System.nanoTime();
            while (running) {
                if (pauseNanos > 0) {
                    next += pauseNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
                List<Integer> up = running();
                if (up.isEmpty()) {
                    continue;
                }
                RaftStateStore s = stores[up.get((int) (seq % up.size()))];
                String id = name + "-" + seq++;
                if (s == null) {
                    continue;
                }
                try {
                    ApplyRequest.Builder r = Managers.createTask(id).toBuilder();
                    for (int k = 1; k < batch; k++) {
                        r.addChanges(Managers.createTask(id + "-" + k).getChanges(0));
                    }
                    ApplyResponse resp = s.apply(r.build()).toCompletableFuture().get(5, TimeUnit.SECONDS);
                    if (Managers.ok(resp)) {
                        acked.put(id, resp.getIndex());
                    } else {
                        failures.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                    Throwable c = e.getCause() == null ? e : e.getCause();
                    errors.merge(String.valueOf(c).replaceAll("[0-9]+", "N"), 1, Integer::sum);
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            for (Thread t : threads) {
                t.join(10_000);
            }
        }
    }
}
