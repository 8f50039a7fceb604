package io.flotilla.scheduler.health;

import io.flotilla.scheduler.SchedulerRunner;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the initial list is loaded and an event source (Kafka or the store's Watch) is connected. */
@Readiness
@ApplicationScoped
public class SchedulerReadiness implements HealthCheck {
    @Inject
    SchedulerRunner runner;

    @Override
    public HealthCheckResponse call() {
        var loop = runner.loop();
        return HealthCheckResponse.named("scheduler")
                .status(runner.ready())
                .withData("index", loop == null ? 0 : loop.index())
                .withData("passes", loop == null ? 0 : loop.passes())
                .withData("changesApplied", loop == null ? 0 : loop.changesApplied())
                .withData("changesRejected", loop == null ? 0 : loop.changesRejected())
                .build();
    }
}
