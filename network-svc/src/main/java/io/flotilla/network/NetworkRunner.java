package io.flotilla.network;

import io.flotilla.contracts.SwarmCertificates;
import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.ListResponse;
import io.flotilla.contracts.v1.MembersRequest;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.network.allocator.Allocator;
import io.flotilla.network.grpc.StoreWatchSource;
import io.flotilla.network.ipam.Ipam;
import io.flotilla.network.kafka.StateEventListener;
import io.flotilla.network.loop.AllocatorLoop;
import io.flotilla.network.plan.PlanPublisher;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Wires the allocator: List every kind it needs from the store, then follow Kafka from that index, or the
 * store's Watch when Kafka cannot be reached. Every manager runs one, but only the one whose local store is
 * the Raft leader allocates (addresses are per-network resources that a per-object compare-and-set cannot
 * keep unique between two concurrent allocators); the others keep their view warm. Every one publishes the
 * nodes' network plans from its view to the dispatcher beside it (the local cluster-state, on the store
 * client's address), which relays them to the agents whose sessions it holds.
 */
@ApplicationScoped
public class NetworkRunner {
    private static final Logger LOG = Logger.getLogger(NetworkRunner.class);

    @GrpcClient("store")
    StoreGrpc.StoreBlockingStub store;

    /** The dispatcher in the same cluster-state process as the store (quarkus.grpc.clients.store.*). */
    @GrpcClient("store")
    DispatcherGrpc.DispatcherBlockingStub dispatcher;

    @ConfigProperty(name = "flotilla.plans.enabled", defaultValue = "true")
    boolean plansEnabled;

    /** Plans go out this long after the last of a burst of changes. */
    @ConfigProperty(name = "flotilla.plans.debounce", defaultValue = "15ms")
    Duration plansDebounce;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "quarkus.grpc.clients.store.plain-text", defaultValue = "false")
    boolean plaintext;
    /** This node's certificate, whose O is the swarm's id (the events of other swarms on the topic are skipped). */
    @ConfigProperty(name = "quarkus.grpc.clients.store.ssl.certificate", defaultValue = "")
    String certificate;

    @ConfigProperty(name = "flotilla.allocator.enabled", defaultValue = "true")
    boolean enabled;

    /** "leader": allocate only beside the Raft leader; "always": a single network-svc (tests). */
    @ConfigProperty(name = "flotilla.allocator.active", defaultValue = "leader")
    String activeMode;

    private AllocatorLoop loop;
    private StateEventListener kafka;
    private StoreWatchSource watch;
    private PlanPublisher plans;
    private volatile boolean running;
    private volatile long leaderCheckedAt;
    private volatile boolean leader;

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        loop = new AllocatorLoop(new Allocator(new Ipam()),
                r -> store.withDeadlineAfter(10, TimeUnit.SECONDS).apply(r), this::active, System::currentTimeMillis);
        kafka = new StateEventListener(bootstrap, SwarmCertificates.ownCluster(plaintext, certificate));
        watch = new StoreWatchSource(store);
        if (plansEnabled) {
            PlanPublisher.Settings d = PlanPublisher.Settings.defaults();
            plans = new PlanPublisher(this::computePlans,
                    batch -> dispatcher.withDeadlineAfter(5, TimeUnit.SECONDS).publishPlans(batch),
                    new PlanPublisher.Settings(plansDebounce.toMillis(), d.maxDelayMs(), d.backoffMinMs(), d.backoffMaxMs(),
                            d.checkMs()), System::currentTimeMillis);
            loop.onViewChange(plans::changed);
            plans.start("network-plans");
        }
        running = true;
        Thread t = new Thread(this::run, "network-events");
        t.setDaemon(true);
        t.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (kafka != null) {
            kafka.stop();
        }
        if (plans != null) {
            plans.close();
        }
        if (loop != null) {
            loop.close();
        }
    }

    /** Every node's plan, computed on the allocator loop's worker (the view's only thread). */
    private Optional<List<NetworkPlan>> computePlans() {
        try {
            return loop.read(PlanPublisher::plansOf).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the allocator loop did not compute the plans: " + e, e);
        }
    }

    private boolean active() {
        if ("always".equals(activeMode)) {
            return true;
        }
        long now = System.currentTimeMillis();
        if (now - leaderCheckedAt > 1000) {
            try {
                MembersResponse m = store.withDeadlineAfter(2, TimeUnit.SECONDS).members(MembersRequest.getDefaultInstance());
                leader = !m.getSelfId().isEmpty() && m.getSelfId().equals(m.getLeaderId());
            } catch (RuntimeException e) {
                leader = false;
            }
            leaderCheckedAt = now;
        }
        return leader;
    }

    private void run() {
        long backoff = 200;
        while (running) {
            try {
                List<StoredObject> objects = new ArrayList<>();
                long index = Long.MAX_VALUE;
                for (Kind kind : List.of(Kind.KIND_CLUSTER, Kind.KIND_NODE, Kind.KIND_NETWORK, Kind.KIND_SERVICE,
                        Kind.KIND_TASK)) {
                    ListResponse r = store.withDeadlineAfter(30, TimeUnit.SECONDS)
                            .list(ListRequest.newBuilder().setKind(kind).build());
                    objects.addAll(r.getObjectsList());
                    index = Math.min(index, r.getIndex());
                }
                loop.load(objects, index);
                loop.start("network-allocator");
                LOG.infof("loaded %d objects from the store at index %d", objects.size(), index);
                backoff = 200;
                try {
                    kafka.follow(loop, index, Duration.ofSeconds(5));
                    return;
                } catch (org.apache.kafka.common.KafkaException e) {
                    LOG.warnf("Kafka at %s not reachable (%s): following the store's Watch instead", bootstrap,
                            e.getMessage());
                }
                watch.follow(loop, Math.max(index, loop.index()));
                throw new IllegalStateException("the store's Watch ended");
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warnf("event source failed (%s); starting again in %d ms", e.getMessage(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(5_000, backoff * 2);
            }
        }
    }

    public boolean ready() {
        return loop != null && loop.loaded() && (kafka.connected() || watch.connected());
    }

    public AllocatorLoop loop() {
        return loop;
    }
}
