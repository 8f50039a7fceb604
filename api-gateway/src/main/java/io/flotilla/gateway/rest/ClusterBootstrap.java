package io.flotilla.gateway.rest;

import io.flotilla.contracts.SwarmCertificates;
import io.flotilla.gateway.service.ClusterService;
import io.flotilla.gateway.store.StoreWarmUp;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Ensures the Cluster object at start, in the background and with retries (the store may start after
 * the gateway); {@code GET /swarm} ensures it again before it answers. Then, once, the {@link WarmUp}'s requests
 * to this gateway over loopback. With TLS it first waits for this node's manager identity: at a swarm init the
 * node-agent starts the gateway beside the store, which writes that identity a second or so later, and the
 * store client reads its certificate files once, when it is first used. Meanwhile the store client's first use
 * is gone through once ({@link StoreWarmUp}).
 */
@ApplicationScoped
public class ClusterBootstrap {
    private static final Logger LOG = Logger.getLogger(ClusterBootstrap.class);
    private static final long IDENTITY_POLL_MS = 50;

    @Inject
    ClusterService clusters;
    @ConfigProperty(name = "flotilla.cluster.ensure-at-start", defaultValue = "true")
    boolean enabled;
    @ConfigProperty(name = "flotilla.gateway.warm-up", defaultValue = "true")
    boolean warmUp;
    @ConfigProperty(name = "quarkus.http.port")
    int port;
    @ConfigProperty(name = "quarkus.grpc.clients.store.plain-text", defaultValue = "false")
    boolean plaintext;
    @ConfigProperty(name = "quarkus.grpc.clients.store.ssl.certificate")
    Optional<String> certificate;
    @ConfigProperty(name = "quarkus.grpc.clients.store.ssl.key")
    Optional<String> key;
    @ConfigProperty(name = "quarkus.grpc.clients.store.ssl.trust-store")
    Optional<String> ca;

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
        if (!awaitIdentity()) {
            return;
        }
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

    /** Waits for this node's manager identity (key, certificate, CA) when the store is reached over TLS; false: stopped. */
    private boolean awaitIdentity() {
        if (plaintext || certificate.isEmpty() || key.isEmpty() || ca.isEmpty()) {
            return true;
        }
        Path cert = Path.of(certificate.get());
        long t0 = System.nanoTime();
        boolean warmedUp = false;
        while (!SwarmCertificates.managerIdentity(cert, Path.of(key.get()), Path.of(ca.get()))) {
            if (stopping) {
                return false;
            }
            if (!warmedUp) {
                warmedUp = true;
                LOG.infof("waiting for this node's manager identity; store client warmed up meanwhile in %d ms",
                        StoreWarmUp.run());
                continue;
            }
            try {
                Thread.sleep(IDENTITY_POLL_MS);
            } catch (InterruptedException e) {
                return false;
            }
        }
        long waited = (System.nanoTime() - t0) / 1_000_000;
        if (waited > 0) {
            LOG.infof("this node's manager identity is there (waited %d ms)", waited);
        }
        return true;
    }
}
