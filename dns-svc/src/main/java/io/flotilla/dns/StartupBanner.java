package io.flotilla.dns;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** The one line at start that names this process's role, node and endpoints. */
public class StartupBanner {
    private static final Logger LOG = Logger.getLogger(StartupBanner.class);

    void onStart(@Observes StartupEvent event,
                 @ConfigProperty(name = "flotilla.node") String node,
                 @ConfigProperty(name = "quarkus.http.port") int httpPort,
                 @ConfigProperty(name = "flotilla.endpoints", defaultValue = "") String endpoints) {
        LOG.infof("flotilla dns-svc started: role=embedded DNS for containers node=%s http=:%d%s", node, httpPort,
                endpoints.isBlank() ? "" : " " + endpoints);
    }
}
