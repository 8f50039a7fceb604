package io.flotilla.agent.supervisor;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Runs this host's manager services as child processes. The launch (node id, address, bootstrap) is kept
 * in FLOTILLA_DATA/manager-services.properties so that a restarted agent starts (or adopts) them again.
 */
public class Supervisor implements ManagerControl {
    private static final Logger LOG = Logger.getLogger(Supervisor.class);

    /**
     * How to run one module: its command line, a string of that command line that identifies it, and the
     * priority it gets once ready (null: it keeps the agent's).
     */
    public record Command(List<String> argv, String marker, ReadyPriority whenReady) {
        public Command(List<String> argv, String marker) {
            this(argv, marker, null);
        }
    }

    /**
     * What the services after the store wait for: this node's manager identity on disk (their store clients
     * present it on 2377; on the node that founds a swarm the store writes it). Returns whether it came.
     */
    @FunctionalInterface
    public interface IdentityGate {
        boolean await();

        IdentityGate NONE = () -> true;
    }

    private final Path runDir;
    private final Path dataDir;
    private final String node;
    private final String kafka;
    private final Function<ManagerEnv.Module, Command> commands;
    private final long graceMillis;
    private final IdentityGate identity;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "supervisor");
        t.setDaemon(true);
        return t;
    });
    private final List<ManagedProcess> running = new ArrayList<>();
    private Launch launch;

    public Supervisor(Path runDir, Path dataDir, String node, String kafka,
                      Function<ManagerEnv.Module, Command> commands, long graceMillis) {
        this(runDir, dataDir, node, kafka, commands, graceMillis, IdentityGate.NONE);
    }

    public Supervisor(Path runDir, Path dataDir, String node, String kafka,
                      Function<ManagerEnv.Module, Command> commands, long graceMillis, IdentityGate identity) {
        this.identity = identity;
        this.runDir = runDir;
        this.dataDir = dataDir;
        this.node = node;
        this.kafka = kafka;
        this.commands = commands;
        this.graceMillis = graceMillis;
        this.launch = readLaunch().orElse(null);
    }

    private Path launchFile() {
        return dataDir.resolve("manager-services.properties");
    }

    @Override
    public synchronized void start(Launch next) throws IOException {
        if (launch != null && !launch.equals(next) && !running.isEmpty()) {
            stopAll();
        }
        writeLaunch(next);
        launch = next;
        if (running.isEmpty()) {
            for (ManagerEnv.Module m : ManagerEnv.MODULES) {
                Command c = commands.apply(m);
                Map<String, String> env = ManagerEnv.of(m, next, node, dataDir.toString(), kafka);
                running.add(new ManagedProcess(m.name(), c, env,
                        runDir.resolve("pids").resolve(m.name() + ".pid"),
                        runDir.resolve("logs").resolve(m.name() + ".log"), timer, graceMillis));
            }
        }
        boolean gated = false;
        for (ManagedProcess p : running) {
            if (!gated && awaitsIdentity(p.name, next)) {
                gated = true;
                if (!identity.await()) {
                    LOG.warnf("no manager certificate for this node in time: starting the services anyway (their store"
                            + " clients will fail until there is one)");
                }
            }
            p.ensureRunning();
        }
    }

    /**
     * Whether a service is started only once this node's manager identity is on disk ({@link IdentityGate}). The
     * store never waits: it writes the identity (a new swarm) or gets it (a joining manager). At a swarm init
     * ({@link Launch#bootstrap()}) the gateway does not wait either: the node's identity was wiped just before, so
     * the only one that can appear is the new swarm's manager identity (an agent restarted on that manager finds it
     * there already), and the gateway waits for it itself before
     * its first call to the store (its store client reads the files then). Its JVM's start then runs beside the
     * store's instead of after it. A manager that joins or is promoted may still hold a worker's certificate, which
     * a service started early could take up: there every service waits.
     */
    static boolean awaitsIdentity(String module, Launch launch) {
        return !module.equals(ManagerEnv.STORE.name()) && !(launch.bootstrap() && module.equals(ManagerEnv.GATEWAY.name()));
    }

    /**
     * Restarts the running services other than the store, one at a time: they read this node's certificate when
     * they start, and after a renewal (its age) one left running would keep the old certificate until it
     * expires. The store reads the files at each handshake and keeps running.
     */
    public synchronized void reloadIdentity() throws IOException {
        for (ManagedProcess p : running) {
            if (!p.name.equals(ManagerEnv.STORE.name())) {
                p.replace();
                LOG.infof("%s restarted with this node's renewed certificate", p.name);
            }
        }
    }

    /** On agent start: the services of the recorded launch, or of the given one when none is recorded. */
    public synchronized void resume(Launch fallback) throws IOException {
        start(launch != null ? launch : fallback);
    }

    @Override
    public synchronized void stop() {
        stopAll();
        launch = null;
        try {
            Files.deleteIfExists(launchFile());
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", launchFile(), e.getMessage());
        }
    }

    private void stopAll() {
        List<ManagedProcess> toStop = new ArrayList<>(running);
        if (toStop.isEmpty() && launch != null) {
            // not started by this agent: stop what the pidfiles name
            for (ManagerEnv.Module m : ManagerEnv.MODULES) {
                Command c = commands.apply(m);
                toStop.add(new ManagedProcess(m.name(), c, Map.of(),
                        runDir.resolve("pids").resolve(m.name() + ".pid"),
                        runDir.resolve("logs").resolve(m.name() + ".log"), timer, graceMillis));
            }
        }
        // in reverse start order, in parallel: the store last
        CompletableFuture.allOf(toStop.stream().filter(p -> !p.name.equals(ManagerEnv.STORE.name()))
                .map(p -> CompletableFuture.runAsync(p::stop)).toArray(CompletableFuture[]::new)).join();
        toStop.stream().filter(p -> p.name.equals(ManagerEnv.STORE.name())).forEach(ManagedProcess::stop);
        running.clear();
    }

    @Override
    public synchronized void wipeData() {
        for (ManagerEnv.Module m : ManagerEnv.MODULES) {
            Path dir = dataDir.resolve(m.name());
            if (!Files.exists(dir)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (IOException | UncheckedIOException e) {
                LOG.warnf("cannot remove %s: %s", dir, e.getMessage());
            }
        }
    }

    @Override
    public synchronized Optional<Launch> launch() {
        return Optional.ofNullable(launch);
    }

    /** The pids of the running services, by module (for tests and status). */
    public synchronized Map<String, Long> pids() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (ManagedProcess p : running) {
            p.current().ifPresent(h -> m.put(p.name, h.pid()));
        }
        return m;
    }

    /** Stops watching (the agent shuts down); the services keep running and are adopted at next start. */
    public void detach() {
        timer.shutdownNow();
    }

    private Optional<Launch> readLaunch() {
        Path f = launchFile();
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newInputStream(f)) {
            p.load(in);
            List<String> members = new ArrayList<>();
            for (String m : p.getProperty("raft.members", "").split(",")) {
                if (!m.isBlank()) {
                    members.add(m.trim());
                }
            }
            return Optional.of(new Launch(p.getProperty("node.id"), p.getProperty("advertise.addr"),
                    Boolean.parseBoolean(p.getProperty("bootstrap", "false")), members));
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot read %s: %s", f, e.getMessage());
            return Optional.empty();
        }
    }

    private void writeLaunch(Launch l) throws IOException {
        Properties p = new Properties();
        p.setProperty("node.id", l.nodeId());
        p.setProperty("advertise.addr", l.advertiseAddr());
        p.setProperty("bootstrap", Boolean.toString(l.bootstrap()));
        p.setProperty("raft.members", String.join(",", l.raftMembers()));
        Files.createDirectories(dataDir);
        Path tmp = launchFile().resolveSibling("manager-services.properties.tmp");
        try (var out = Files.newOutputStream(tmp)) {
            p.store(out, "flotilla manager services of this host");
        }
        Files.move(tmp, launchFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
