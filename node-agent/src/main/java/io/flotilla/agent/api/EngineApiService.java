package io.flotilla.agent.api;

import io.flotilla.agent.supervisor.ManagerServices;
import io.flotilla.agent.swarm.SwarmState;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/** Starts this host's Docker Engine API endpoint with the agent, and stops it with the agent. */
@ApplicationScoped
public class EngineApiService {
    private static final Logger LOG = Logger.getLogger(EngineApiService.class);

    @Inject
    SwarmState swarmState;
    @Inject
    ManagerServices managerServices;
    @Inject
    io.flotilla.agent.session.SessionStarter sessions;
    @Inject
    jakarta.enterprise.inject.Instance<io.flotilla.agent.net.NetworkFacts> networkFacts;
    @ConfigProperty(name = "flotilla.api.listen")
    String listen;
    @ConfigProperty(name = "flotilla.docker-socket")
    String dockerSocket;
    @ConfigProperty(name = "flotilla.api.gateway-url")
    String gatewayUrl;
    @ConfigProperty(name = "flotilla.api.cluster-state-health-url")
    String clusterHealthUrl;
    @ConfigProperty(name = "flotilla.api.init-timeout")
    Duration initTimeout;
    @ConfigProperty(name = "flotilla.api.enabled", defaultValue = "true")
    boolean enabled;
    @ConfigProperty(name = "flotilla.node")
    String node;
    @ConfigProperty(name = "flotilla.advertise-addr")
    String advertiseAddr;
    @ConfigProperty(name = "flotilla.api.join-timeout", defaultValue = "8s")
    Duration joinTimeout;
    /** Whether an agent in no swarm runs the join's steps once at its start ({@link EngineApi#warmUpJoin}). */
    @ConfigProperty(name = "flotilla.api.join-warm-up", defaultValue = "true")
    boolean joinWarmUp;
    @ConfigProperty(name = "flotilla.data")
    String data;
    @ConfigProperty(name = "flotilla.grpc.plaintext", defaultValue = "false")
    boolean grpcPlaintext;

    private EngineApi api;

    void onStart(@Observes @Priority(20) StartupEvent event) {
        if (!enabled) {
            return;
        }
        api = new EngineApi(new EngineApi.Settings(listen, dockerSocket, gatewayUrl, node, advertiseAddr,
                clusterHealthUrl, initTimeout, joinTimeout, java.nio.file.Path.of(data), grpcPlaintext), swarmState, managerServices);
        api.networkFacts(networkFacts.isResolvable() ? networkFacts.get() : null);
        api.sessionUp(sessions::sessionUp);
        try {
            String bound = api.start();
            if (joinWarmUp) {
                Thread warm = new Thread(api::warmUpJoin, "join-warm-up");
                warm.setDaemon(true);
                warm.start();
            }
            LOG.infof("Docker Engine API (1.41) listening on %s; dockerd at unix://%s; managers at %s", bound,
                    dockerSocket, gatewayUrl);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + listen, e);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (api != null) {
            api.close();
        }
    }
}
