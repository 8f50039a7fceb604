package io.flotilla.dns.health;

import io.flotilla.dns.feed.NameTableFeed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** Started (/q/health/started) once the state feed's warm-up is over: the lab waits for it at `deploy/lab up`. */
@Startup
@ApplicationScoped
public class FeedStarted implements HealthCheck {

    @Inject
    NameTableFeed feed;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("state-feed-warm-up").status(feed.started()).build();
    }
}
