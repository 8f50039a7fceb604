package io.flotilla.state.health;

import io.flotilla.state.raft.RaftStateStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the Raft group has a leader and this manager has applied what it knows committed. */
@Readiness
@ApplicationScoped
public class RaftReadinessCheck implements HealthCheck {
    @Inject
    RaftStateStore store;

    @Override
    public HealthCheckResponse call() {
        String leader = store.node().leaderId();
        return HealthCheckResponse.named("raft").status(store.ready())
                .withData("self", store.node().raftId())
                .withData("leader", leader == null ? "" : leader)
                .withData("commit_index", store.node().commitIndex())
                .withData("last_applied", store.node().lastApplied())
                .withData("known_commit_index", store.node().knownCommitIndex())
                .withData("store_index", store.index())
                .build();
    }
}
