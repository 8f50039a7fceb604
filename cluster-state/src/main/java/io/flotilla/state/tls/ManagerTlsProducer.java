package io.flotilla.state.tls;

import io.flotilla.state.store.StateStore;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Makes this manager's {@link ManagerTls} from flotilla.tls.* and keeps it fresh: every half second from start
 * until it can serve, then every minute (renewals, a changed CA, this node's identity files).
 */
@ApplicationScoped
public class ManagerTlsProducer {
    private static final Logger LOG = Logger.getLogger(ManagerTlsProducer.class);

    @ConfigProperty(name = "flotilla.grpc.plaintext", defaultValue = "false")
    boolean plaintext;
    @ConfigProperty(name = "flotilla.node-id")
    String nodeId;
    @ConfigProperty(name = "flotilla.raft.advertise")
    String advertise;
    @ConfigProperty(name = "flotilla.tls.server-names")
    Optional<String> serverNames;
    @ConfigProperty(name = "flotilla.tls.node-cert")
    Optional<String> nodeCert;
    @ConfigProperty(name = "flotilla.tls.node-key")
    Optional<String> nodeKey;
    @ConfigProperty(name = "flotilla.tls.node-ca")
    Optional<String> nodeCa;

    private ScheduledExecutorService timer;
    private volatile boolean stopping;

    @Produces
    @Singleton
    ManagerTls managerTls(StateStore store) {
        LocalIdentity local = null;
        if (nodeCert.isPresent() && nodeKey.isPresent() && nodeCa.isPresent()) {
            local = new LocalIdentity(Path.of(nodeCert.get()), Path.of(nodeKey.get()), Path.of(nodeCa.get()));
        }
        List<String> extra = serverNames.map(s -> Arrays.stream(s.split("[,\\s]+")).filter(n -> !n.isBlank()).toList())
                .orElse(List.of());
        return new ManagerTls(store, new ManagerTls.Settings(nodeId, advertise, extra, local, true),
                System::currentTimeMillis);
    }

    void onStart(@Observes StartupEvent event, ManagerTls tls) {
        if (plaintext) {
            LOG.warn("2377 serves plain text (flotilla.grpc.plaintext): no TLS, no node identities");
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "flotilla-tls");
            t.setDaemon(true);
            return t;
        });
        timer.execute(() -> step(tls));
    }

    private void step(ManagerTls tls) {
        boolean ready = tls.refresh();
        if (!stopping) {
            // not ready: the store is still starting or electing its leader (a swarm init waits on this)
            timer.schedule(() -> step(tls), ready ? 60_000 : 100, TimeUnit.MILLISECONDS);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
