package io.flotilla.state.dispatcher;

import io.flotilla.state.raft.RaftStateStore;
import io.flotilla.state.store.StateStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Makes the one {@link Dispatcher} of this manager from flotilla.dispatcher.* and the store. */
@ApplicationScoped
public class DispatcherProducer {

    private ScheduledExecutorService executor;

    @Produces
    @Singleton
    Dispatcher dispatcher(StateStore store,
                          Instance<MeterRegistry> registry,
                          Instance<RaftStateStore> raftStore,
                          @ConfigProperty(name = "flotilla.dispatcher.heartbeat-period", defaultValue = "500ms") Duration heartbeat,
                          @ConfigProperty(name = "flotilla.dispatcher.node-down-grace", defaultValue = "1500ms") Duration grace,
                          @ConfigProperty(name = "flotilla.dispatcher.debounce", defaultValue = "15ms") Duration debounce,
                          @ConfigProperty(name = "flotilla.dispatcher.status-batch", defaultValue = "5ms") Duration statusBatch,
                          @ConfigProperty(name = "flotilla.dispatcher.liveness.enabled", defaultValue = "true") boolean liveness,
                          @ConfigProperty(name = "flotilla.dispatcher.host-probe.enabled", defaultValue = "true") boolean probeHosts,
                          @ConfigProperty(name = "flotilla.dispatcher.host-probe.timeout", defaultValue = "300ms") Duration probeTimeout,
                          @ConfigProperty(name = "flotilla.dispatcher.host-answers-limit", defaultValue = "5s") Duration answersLimit) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "flotilla-dispatcher");
            t.setDaemon(true);
            return t;
        });
        DispatcherConfig config = new DispatcherConfig(heartbeat.toMillis(), grace.toMillis(), debounce.toMillis(),
                statusBatch.toMillis(), liveness, 10);
        HostCheck hosts = probeHosts
                ? new HostCheck(HostCheck.echo((int) probeTimeout.toMillis()), answersLimit.toMillis(), heartbeat.toMillis())
                : HostCheck.NONE;
        Dispatcher d = new Dispatcher(store, config, executor, System::currentTimeMillis, hosts);
        d.start();
        if (raftStore.isResolvable() && store instanceof RaftStateStore rs) {
            Membership m = new Membership(store, new RaftGroupMembership(rs.node()), System::currentTimeMillis);
            d.membership(m);
            executor.scheduleWithFixedDelay(() -> {
                try {
                    m.reconcile();
                } catch (RuntimeException e) {
                    org.jboss.logging.Logger.getLogger(DispatcherProducer.class).warnf("role reconciliation: %s", e.toString());
                }
            }, 1000, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        if (registry.isResolvable()) {
            MeterRegistry r = registry.get();
            FunctionCounter.builder("flotilla.dispatcher.status.refused", d, Dispatcher::refusedForeignReports)
                    .description("task status reports refused: the task is on another node").register(r);
            FunctionCounter.builder("flotilla.dispatcher.status.unknown", d, Dispatcher::refusedUnknownReports)
                    .description("task status reports for tasks that do not exist").register(r);
            FunctionCounter.builder("flotilla.dispatcher.status.applied", d, Dispatcher::appliedReports)
                    .description("task status changes written").register(r);
            Gauge.builder("flotilla.dispatcher.sessions", d, Dispatcher::sessionCount)
                    .description("open agent sessions on this manager").register(r);
        }
        return d;
    }

    void close(@Disposes Dispatcher dispatcher) {
        dispatcher.close();
        if (executor != null) {
            executor.shutdownNow();
        }
        Membership m = dispatcher.membership();
        if (m != null) {
            m.close();
        }
    }
}
