package io.flotilla.agent.supervisor;

import io.flotilla.agent.swarm.SwarmState;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * dns-svc on a worker (DESIGN.md: it runs on every node, answering that node's tasks; on a manager it is
 * one of the manager services). While this host is a swarm member and not a manager, it runs dns-svc with
 * the store of the first manager it knows and the cluster's Kafka; otherwise none.
 */
@ApplicationScoped
public class NodeDns {
    private static final Logger LOG = Logger.getLogger(NodeDns.class);
    static final ManagerEnv.Module DNS = new ManagerEnv.Module("dns-svc", 9106);

    @Inject
    SwarmState swarmState;
    @Inject
    ManagerServices managerServices;
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
    private Map<String, String> runningEnv;

    void onStart(@Observes StartupEvent event) {
        if (enabled) {
            swarmState.onChange(s -> timer.execute(() -> apply(s)));
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        timer.shutdownNow();
    }

    /** After this node's certificate was renewed: a running dns-svc restarts to read it (it reads it at start). */
    public void reloadIdentity() {
        timer.execute(() -> {
            synchronized (this) {
                if (running != null) {
                    try {
                        running.replace();
                        LOG.info("dns-svc restarted with this node's renewed certificate");
                    } catch (Exception e) {
                        LOG.errorf("cannot start dns-svc: %s", e.getMessage());
                    }
                }
            }
        });
    }

    private synchronized void apply(SwarmState.Snapshot s) {
        Map<String, String> want = null;
        if (s.member() && !s.manager() && !s.managers().isEmpty()) {
            String store = s.managers().get(0);
            int colon = store.lastIndexOf(':');
            want = new LinkedHashMap<>(ManagerEnv.of(DNS, new Launch(s.nodeId(), advertiseAddr, false), node,
                    data, kafka));
            want.put("FLOTILLA_STORE_HOST", colon < 0 ? store : store.substring(0, colon));
            want.put("FLOTILLA_STORE_PORT", colon < 0 ? Integer.toString(ManagerEnv.STORE_PORT)
                    : store.substring(colon + 1));
        }
        if (running != null && !Objects.equals(want, runningEnv)) {
            running.stop();
            running = null;
        }
        if (want != null && running == null) {
            Supervisor.Command c = managerServices.command(DNS);
            Path runDir = Path.of(run);
            running = new ManagedProcess(DNS.name(), c, want,
                    runDir.resolve("pids").resolve("dns-svc-node.pid"), runDir.resolve("logs").resolve("dns-svc.log"),
                    timer, grace.toMillis());
            runningEnv = want;
            try {
                running.ensureRunning();
                LOG.infof("dns-svc for this worker: store %s:%s", want.get("FLOTILLA_STORE_HOST"),
                        want.get("FLOTILLA_STORE_PORT"));
            } catch (Exception e) {
                LOG.errorf("cannot start dns-svc: %s", e.getMessage());
            }
        }
    }
}
