package io.flotilla.network.health;

import io.flotilla.network.NetworkRunner;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the store has been listed and the event stream (Kafka or Watch) is being followed. */
@Readiness
@ApplicationScoped
public class EventStreamReadiness implements HealthCheck {

    @Inject
    NetworkRunner runner;

    @Override
    public HealthCheckResponse call() {
        var loop = runner.loop();
        return HealthCheckResponse.named("allocator")
                .status(runner.ready())
                .withData("index", loop == null ? 0 : loop.index())
                .withData("changesApplied", loop == null ? 0 : loop.changesApplied())
                .withData("changesRejected", loop == null ? 0 : loop.changesRejected())
                .build();
    }
}
