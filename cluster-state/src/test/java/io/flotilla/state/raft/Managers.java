package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.MembersRequest;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.state.store.StoreStateMachine;
import io.flotilla.state.store.StoredObjects;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Test harness: cluster-state managers as separate JVMs (the packaged quarkus-run.jar), each with its own
 * ports, data directory and log file, and a gRPC Store client per manager.
 */
public final class Managers implements AutoCloseable {

    /** One manager process. */
    public final class Manager {
        public final String id;
        public final String host;
        /** Where the test reaches this manager's gRPC port (another address than host in the partition test). */
        public volatile String clientHost;
        public final int grpcPort;
        public final int httpPort;
        public final int raftPort;
        public final Path data;
        public final Path logFile;
        final List<String> prefix;
        final Map<String, String> env = new LinkedHashMap<>();
        volatile Process process;
        private ManagedChannel channel;

        Manager(String id, String host, int grpcPort, int httpPort, int raftPort, List<String> prefix) throws IOException {
            this.id = id;
            this.host = host;
            this.clientHost = host;
            this.grpcPort = grpcPort;
            this.httpPort = httpPort;
            this.raftPort = raftPort;
            this.prefix = prefix;
            this.data = root.resolve(id);
            this.logFile = root.resolve(id + ".log");
        }

        public synchronized void start() throws IOException {
            List<String> cmd = new ArrayList<>(prefix);
            cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
            cmd.addAll(jvmArgs);
            cmd.addAll(List.of("-jar", jar().toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            Map<String, String> e = pb.environment();
            e.put("FLOTILLA_NODE", id);
            e.put("FLOTILLA_RAFT_ID", id);
            e.put("FLOTILLA_GRPC_PORT", Integer.toString(grpcPort));
            e.put("FLOTILLA_HTTP_PORT", Integer.toString(httpPort));
            e.put("FLOTILLA_RAFT_PORT", Integer.toString(raftPort));
            e.put("FLOTILLA_ADVERTISE_ADDR", host);
            e.put("FLOTILLA_RAFT_MEMBERS", membersSpec());
            e.put("FLOTILLA_DATA", data.toString());
            e.put("FLOTILLA_KAFKA_ENABLED", "false");
            // these tests are about the Raft group: the store API in plain text, as the unit tests have it
            // (mutual TLS on 2377 has its own tests, cluster-state/design/tls.md)
            e.put("FLOTILLA_PLAINTEXT", "true");
            e.putAll(commonEnv);
            e.putAll(env);
            Files.createDirectories(data);
            Files.writeString(logFile, "---- start " + System.currentTimeMillis() + " " + env + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = pb.start();
        }

        public boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }

        /** kill -9; returns the nanoTime right after the signal was sent. */
        public long kill9() throws Exception {
            Process p = process;
            new ProcessBuilder("kill", "-9", Long.toString(p.pid())).start().waitFor();
            long t = System.nanoTime();
            p.waitFor(10, TimeUnit.SECONDS);
            return t;
        }

        /** SIGTERM and wait for the process to end (an orderly stop). */
        public void stop() throws Exception {
            Process p = process;
            if (p == null || !p.isAlive()) {
                return;
            }
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }

        public synchronized StoreGrpc.StoreBlockingStub stub() {
            if (channel == null) {
                channel = ManagedChannelBuilder.forAddress(clientHost, grpcPort).usePlaintext().build();
            }
            return StoreGrpc.newBlockingStub(channel);
        }

        public StoreGrpc.StoreBlockingStub stub(long timeoutMs) {
            return stub().withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
        }

        public MembersResponse members() {
            return stub(2000).members(MembersRequest.getDefaultInstance());
        }

        /** Every object of every kind, by a linearizable list: id -> version. */
        public Map<String, Long> dump() {
            Map<String, Long> out = new TreeMap<>();
            for (Kind k : StoreStateMachine.kinds()) {
                for (StoredObject o : stub(10_000).list(ListRequest.newBuilder().setKind(k).setLinearizable(true).build()).getObjectsList()) {
                    out.put(k.name() + "/" + StoredObjects.id(o), StoredObjects.version(o));
                }
            }
            return out;
        }

        /** Every object of every kind, whole, by a linearizable list. */
        public Map<String, StoredObject> objects() {
            Map<String, StoredObject> out = new TreeMap<>();
            for (Kind k : StoreStateMachine.kinds()) {
                for (StoredObject o : stub(10_000).list(ListRequest.newBuilder().setKind(k).setLinearizable(true).build()).getObjectsList()) {
                    out.put(k.name() + "/" + StoredObjects.id(o), o);
                }
            }
            return out;
        }

        @Override
        public String toString() {
            return id;
        }

        void closeChannel() {
            if (channel != null) {
                channel.shutdownNow();
                channel = null;
            }
        }
    }

    public final Path root;
    public final List<Manager> managers = new ArrayList<>();
    final Map<String, String> commonEnv = new LinkedHashMap<>();
    final List<String> jvmArgs = new ArrayList<>();

    /** Managers m1..mN on loopback with free ports. */
    public static Managers onLoopback(String name, int n) throws IOException {
        Managers m = new Managers(name);
        for (int i = 1; i <= n; i++) {
            m.add("m" + i, "127.0.0.1", freePort(), freePort(), freePort(), List.of());
        }
        return m;
    }

    public Managers(String name) throws IOException {
        this.root = buildDir().resolve("it-managers").resolve(name + "-" + System.currentTimeMillis());
        Files.createDirectories(root);
        // e.g. -Dflotilla.it.manager-jvm-args='-Dquarkus.log.category."org.jgroups".level=DEBUG' while debugging
        for (String a : System.getProperty("flotilla.it.manager-jvm-args", "").split("\\s+")) {
            if (!a.isBlank()) {
                jvmArgs.add(a);
            }
        }
    }

    public Manager add(String id, String host, int grpcPort, int httpPort, int raftPort, List<String> prefix) throws IOException {
        Manager m = new Manager(id, host, grpcPort, httpPort, raftPort, prefix);
        managers.add(m);
        return m;
    }

    public Managers env(String k, String v) {
        commonEnv.put(k, v);
        return this;
    }

    public Managers jvmArg(String a) {
        jvmArgs.add(a);
        return this;
    }

    /** Appends a thread dump (jstack) of every running manager to its log file: what a failed test leaves to read. */
    public void threadDumps() {
        Path jstack = Path.of(System.getProperty("java.home"), "bin", "jstack");
        for (Manager m : managers) {
            Process p = m.process;
            if (p == null || !p.isAlive() || !Files.isExecutable(jstack)) {
                continue;
            }
            try {
                Files.writeString(m.logFile, "---- thread dump " + System.currentTimeMillis() + "\n", java.nio.file.StandardOpenOption.APPEND);
                new ProcessBuilder(jstack.toString(), Long.toString(p.pid())).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(m.logFile.toFile())).start().waitFor(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort
            }
        }
    }

    public Manager get(int i) {
        return managers.get(i);
    }

    public Manager byId(String id) {
        return managers.stream().filter(m -> m.id.equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(id));
    }

    String membersSpec() {
        return managers.stream().map(m -> m.id + "@" + m.host + ":" + m.raftPort).collect(Collectors.joining(","));
    }

    public void startAll() throws IOException {
        for (Manager m : managers) {
            m.start();
        }
    }

    public List<Manager> alive() {
        return managers.stream().filter(Manager::alive).toList();
    }

    /**
     * Waits until every given manager answers Members naming the same leader, one of them, and that leader
     * commits a write (a barrier read). Returns the leader.
     */
    public Manager awaitLeader(List<Manager> among, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            try {
                String leader = null;
                boolean agreed = true;
                for (Manager m : among) {
                    MembersResponse r = m.members();
                    if (r.getLeaderId().isEmpty() || leader != null && !leader.equals(r.getLeaderId())) {
                        agreed = false;
                        last = m.id + " sees leader '" + r.getLeaderId() + "'";
                        break;
                    }
                    leader = r.getLeaderId();
                }
                if (agreed && leader != null) {
                    Manager l = byId(leader);
                    if (among.contains(l)) {
                        l.stub(3000).list(ListRequest.newBuilder().setKind(Kind.KIND_CLUSTER).setLinearizable(true).build());
                        return l;
                    }
                }
            } catch (RuntimeException e) {
                last = String.valueOf(e);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no leader agreed on by " + among + " within " + timeoutMs + " ms: " + last);
    }

    /**
     * Waits until a (re)started manager has rejoined: the leader (among the others) sees it reachable, it
     * knows that leader, it is ready (has applied what it knows committed) and its commit index has reached
     * the leader's commit index as sampled once it was seen reachable. Killing another member before that
     * could leave the group without a majority of caught-up members.
     */
    public void awaitCaughtUp(Manager m, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        String last = "";
        long target = -1;
        while (System.currentTimeMillis() < deadline) {
            try {
                MembersResponse self = m.members();
                String leaderId = self.getLeaderId();
                if (leaderId.isEmpty()) {
                    last = m.id + " knows no leader";
                } else {
                    MembersResponse fromLeader = byId(leaderId).members();
                    boolean reachable = fromLeader.getMembersList().stream().anyMatch(r -> r.getRaftId().equals(m.id)
                            && r.getReachability() == io.flotilla.contracts.v1.Reachability.REACHABILITY_REACHABLE);
                    if (!reachable) {
                        last = "leader " + leaderId + " does not see " + m.id + " reachable";
                    } else {
                        if (target < 0) {
                            target = fromLeader.getCommitIndex();
                        }
                        if (self.getCommitIndex() < target) {
                            last = m.id + " at commit index " + self.getCommitIndex() + ", leader was at " + target;
                        } else if (!ready(m)) {
                            last = m.id + " not ready (applying)";
                        } else {
                            return;
                        }
                    }
                }
            } catch (RuntimeException e) {
                last = String.valueOf(e);
            }
            Thread.sleep(100);
        }
        throw new AssertionError(m.id + " did not catch up within " + timeoutMs + " ms: " + last);
    }

    /**
     * Waits until every given manager has applied the same store index as a linearizable read on the first
     * one returns (cheap where a dump of every object would not be: many objects). Returns that index.
     */
    public long awaitSameIndex(List<Manager> among, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            try {
                long target = among.get(0).stub(10_000).list(ListRequest.newBuilder().setKind(Kind.KIND_CLUSTER)
                        .setLinearizable(true).build()).getIndex();
                boolean same = true;
                for (Manager m : among) {
                    long i = m.stub(5000).list(ListRequest.newBuilder().setKind(Kind.KIND_CLUSTER).build()).getIndex();
                    if (i < target) {
                        same = false;
                        last = m.id + " at index " + i + ", " + among.get(0).id + " at " + target;
                        break;
                    }
                }
                if (same) {
                    return target;
                }
            } catch (RuntimeException e) {
                last = String.valueOf(e);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("managers " + among + " did not reach one index within " + timeoutMs + " ms: " + last);
    }

    /** The manager's HTTP readiness answers 200 (leader known, applied everything it knows committed). */
    public static boolean ready(Manager m) {
        try {
            java.net.http.HttpResponse<Void> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + m.clientHost + ":" + m.httpPort + "/q/health/ready"))
                            .timeout(java.time.Duration.ofSeconds(2)).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    /** Waits until every given manager's linearizable dump is the same; returns it. */
    public Map<String, Long> awaitConverged(List<Manager> among, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            try {
                Map<String, Long> first = null;
                boolean same = true;
                for (Manager m : among) {
                    Map<String, Long> d = m.dump();
                    if (first == null) {
                        first = d;
                    } else if (!first.equals(d)) {
                        same = false;
                        last = m.id + " has " + d.size() + " objects, " + among.get(0).id + " " + first.size();
                        break;
                    }
                }
                if (same && first != null) {
                    return first;
                }
            } catch (RuntimeException e) {
                last = String.valueOf(e);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("managers " + among + " did not converge within " + timeoutMs + " ms: " + last);
    }

    /** A task create with a caller-chosen id (so an unacknowledged write can be told apart). */
    public static ApplyRequest createTask(String id) {
        return ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_TASK).setId(id)
                .setObject(StoredObject.newBuilder().setTask(Task.newBuilder().setServiceId("svc-it")))).build();
    }

    public static boolean ok(ApplyResponse r) {
        return r.getApplied() && r.getOutcomesCount() > 0 && r.getOutcomes(0).getResult() == ChangeResult.RESULT_OK;
    }

    /**
     * A free port below the ephemeral range (32768-60999 here): a port from that range, free when picked, was
     * taken as the local port of some outgoing connection while its manager was down, and the restarted
     * manager could not bind its Raft port again.
     */
    public static int freePort() throws IOException {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(20_000, 32_000);
            if (!PICKED.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port)) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port in 20000-32000");
    }

    private static final java.util.Set<Integer> PICKED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The module's build directory (test-classes' parent): -Dflotilla.build.dir is honoured. */
    public static Path buildDir() {
        try {
            return Path.of(Managers.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path jar() {
        Path p = buildDir().resolve("quarkus-app").resolve("quarkus-run.jar");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("no packaged manager at " + p + ": run the package phase first");
        }
        return p;
    }

    public static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(Double::compare);
        int n = s.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    @Override
    public void close() {
        for (Manager m : managers) {
            m.closeChannel();
            Process p = m.process;
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
