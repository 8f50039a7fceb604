package io.flotilla.gateway.rest;

import io.flotilla.gateway.service.ClusterService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Ensures the Cluster object at start, in the background and with retries (the store may start after
 * the gateway); {@code GET /swarm} ensures it again before it answers. Then, once, the {@link WarmUp}'s requests
 * to this gateway over loopback.
 */
@ApplicationScoped
public class ClusterBootstrap {
    private static final Logger LOG = Logger.getLogger(ClusterBootstrap.class);

    @Inject
    ClusterService clusters;
    @ConfigProperty(name = "flotilla.cluster.ensure-at-start", defaultValue = "true")
    boolean enabled;
    @ConfigProperty(name = "flotilla.gateway.warm-up", defaultValue = "true")
    boolean warmUp;
    @ConfigProperty(name = "quarkus.http.port")
    int port;

    private volatile boolean stopping;
    private Thread worker;

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        worker = new Thread(this::run, "cluster-bootstrap");
        worker.setDaemon(true);
        worker.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (worker != null) {
            worker.interrupt();
        }
    }

    private void run() {
        long backoff = 200;
        while (!stopping) {
            try {
                var c = clusters.ensure();
                LOG.infof("cluster %s ready (version %d)", c.getMeta().getId(), c.getMeta().getVersion());
                if (warmUp && !stopping) {
                    WarmUp.run("http://127.0.0.1:" + port);
                }
                return;
            } catch (RuntimeException e) {
                LOG.debugf("cluster not ensured yet: %s", e.getMessage());
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, 5000);
        }
    }
}
