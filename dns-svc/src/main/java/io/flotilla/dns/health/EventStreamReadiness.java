package io.flotilla.dns.health;

import io.flotilla.dns.DnsService;
import io.flotilla.dns.feed.NameTableFeed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the name table is loaded and the state events are being followed. */
@Readiness
@ApplicationScoped
public class EventStreamReadiness implements HealthCheck {

    @Inject
    NameTableFeed feed;

    @Inject
    DnsService dns;

    @Override
    public HealthCheckResponse call() {
        var r = HealthCheckResponse.named("state-events")
                .status(feed.ready())
                .withData("eventFetches", feed.eventFetches())
                .withData("eventsRead", feed.eventsRead())
                .withData("eventsDecoded", feed.eventsDecoded())
                .withData("eventsApplied", feed.eventsApplied())
                .withData("answerChanges", feed.table().changes())
                .withData("services", feed.table().services())
                .withData("runningTasks", feed.table().runningTasks());
        if (dns.responder() != null) {
            r.withData("answeredLocally", dns.responder().local.sum())
                    .withData("answeredFromCache", dns.responder().cached.sum())
                    .withData("forwarded", dns.responder().forwarded.sum())
                    .withData("servfail", dns.responder().servfail.sum())
                    .withData("malformed", dns.responder().malformed.sum());
        }
        return r.build();
    }
}
