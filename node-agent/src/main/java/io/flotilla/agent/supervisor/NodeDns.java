package io.flotilla.agent.supervisor;

import io.flotilla.agent.session.SessionStarter;
import io.flotilla.agent.swarm.SwarmState;
import io.flotilla.contracts.ManagerAddress;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This node's dns-svc (DESIGN.md: it runs on every node, answering that node's tasks), on managers and workers
 * alike. The agent starts it at its own start, in a swarm or not, so that no JVM starts when the node joins or
 * founds a swarm (a worker's dns-svc starting at its join took the cores from the join and from the first
 * tasks' containers). It is told its store in a file ({@link #storeFile()}, {@code store=<host>:<port>}, the node's
 * id, a count of certificate renewals): the
 * node's own store on a manager, the first manager it knows on a worker, none (no file) out of a swarm; dns-svc
 * reads it every 100 ms and follows the store it names. A store is named once the node's session is up.
 * {@code flotilla.node-dns.enabled=false}: none runs.
 */
@ApplicationScoped
public class NodeDns {
    private static final Logger LOG = Logger.getLogger(NodeDns.class);
    static final ManagerEnv.Module DNS = new ManagerEnv.Module("dns-svc", 9106);

    @Inject
    SwarmState swarmState;
    @Inject
    ManagerServices managerServices;
    @Inject
    SessionStarter sessions;
    @ConfigProperty(name = "flotilla.data")
    String data;
    @ConfigProperty(name = "flotilla.run")
    String run;
    @ConfigProperty(name = "flotilla.kafka")
    String kafka;
    @ConfigProperty(name = "flotilla.node")
    String node;
    @ConfigProperty(name = "flotilla.advertise-addr")
    String advertiseAddr;
    @ConfigProperty(name = "flotilla.node-dns.enabled", defaultValue = "true")
    boolean enabled;
    @ConfigProperty(name = "flotilla.supervisor.stop-grace", defaultValue = "10s")
    java.time.Duration grace;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "node-dns");
        t.setDaemon(true);
        return t;
    });
    private ManagedProcess running;
    // the store file's text as last written (null: no file); at first none known, so that the first state is written
    // (a file an earlier agent left is replaced or removed)
    private String written = "";
    private int identity;            // bumped at each certificate renewal: a new text makes dns-svc connect again
    private boolean recheck;         // an apply is scheduled for when the session is up
    private long memberSince;        // when a store to name was first held back for the session (0: none held back)

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        timer.execute(() -> {
            apply(swarmState.current());
            start();
        });
        swarmState.onChange(s -> timer.execute(() -> apply(s)));
    }

    void onStop(@Observes ShutdownEvent event) {
        timer.shutdownNow(); // dns-svc keeps running; the next agent adopts it by its pidfile
    }

    /** After this node's certificate was renewed: dns-svc connects again, with the new one. */
    public void reloadIdentity() {
        timer.execute(() -> {
            identity++;
            apply(swarmState.current());
        });
    }

    Path storeFile() {
        return Path.of(run).resolve("dns-svc.store");
    }

    private synchronized void start() {
        Map<String, String> env = ManagerEnv.nodeDns(DNS, node, data, kafka, advertiseAddr, storeFile());
        Supervisor.Command c = managerServices.command(DNS);
        Path runDir = Path.of(run);
        running = new ManagedProcess(DNS.name(), c, env, runDir.resolve("pids").resolve("dns-svc-node.pid"),
                runDir.resolve("logs").resolve("dns-svc.log"), timer, grace.toMillis());
        try {
            running.ensureRunning();
        } catch (IOException | RuntimeException e) {
            LOG.errorf("cannot start dns-svc: %s", e.getMessage());
        }
    }

    synchronized void apply(SwarmState.Snapshot s) {
        String text = storeText(s, identity);
        if (Objects.equals(text, written)) {
            memberSince = 0;
            return;
        }
        if (text != null && heldForSession()) {
            return;
        }
        Path file = storeFile();
        try {
            if (text == null) {
                Files.deleteIfExists(file);
            } else {
                Files.createDirectories(file.getParent());
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.writeString(tmp, text);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            written = text;
            LOG.infof("dns-svc's store: %s", text == null ? "none" : text.lines().findFirst().orElse(""));
        } catch (IOException e) {
            LOG.errorf("cannot write %s: %s", file, e.getMessage());
        }
    }

    /**
     * A store is named once this node's session with the managers is up (a join or init has been answered then),
     * at most {@link #SESSION_WAIT_MS} after it was first to be named: dns-svc's first connection (a mutual-TLS
     * handshake, the Lists, a Kafka consumer; 1.5-2 s on a loaded lab host) took the cores from the join's own
     * session start, and no task reaches a node before its session is up. True while held back (an apply is
     * scheduled).
     */
    private boolean heldForSession() {
        long now = System.currentTimeMillis();
        if (memberSince == 0) {
            memberSince = now;
        }
        if (sessions.sessionUp() || now - memberSince >= SESSION_WAIT_MS) {
            memberSince = 0;
            return false;
        }
        if (!recheck) {
            recheck = true;
            timer.schedule(() -> {
                synchronized (this) {
                    recheck = false;
                }
                apply(swarmState.current());
            }, 50, TimeUnit.MILLISECONDS);
        }
        return true;
    }

    static final long SESSION_WAIT_MS = 10_000;

    /**
     * The store file's text for a swarm state: the node's own store on a manager, the first manager it knows on a
     * worker, none (null) out of a swarm or with no manager known.
     */
    static String storeText(SwarmState.Snapshot s, int identity) {
        String store;
        if (!s.member()) {
            return null;
        } else if (s.manager()) {
            store = "127.0.0.1:" + ManagerEnv.STORE_PORT;
        } else if (s.managers().isEmpty()) {
            return null;
        } else {
            store = ManagerAddress.parse(s.managers().get(0), ManagerEnv.STORE_PORT).toString();
        }
        // the node id too: a new swarm (a leave, then an init or a join) is a new text even at the same address
        return "store=" + store + "\nnode=" + s.nodeId() + "\nidentity=" + identity + "\n";
    }
}
