package io.flotilla.network.health;

import io.flotilla.network.kafka.StateEventListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the state event stream is being followed. */
@Readiness
@ApplicationScoped
public class EventStreamReadiness implements HealthCheck {

    @Inject
    StateEventListener listener;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("state-events")
                .status(listener.connected())
                .withData("eventsApplied", listener.eventsApplied())
                .withData("lastIndex", listener.view().lastIndex())
                .build();
    }
}
