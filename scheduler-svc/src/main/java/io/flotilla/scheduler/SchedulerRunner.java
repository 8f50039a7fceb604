package io.flotilla.scheduler;

import io.flotilla.contracts.SwarmCertificates;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.ListResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.scheduler.grpc.StorePlanApplier;
import io.flotilla.scheduler.grpc.StoreWatchSource;
import io.flotilla.scheduler.kafka.StateEventListener;
import io.flotilla.scheduler.loop.ControlLoop;
import io.flotilla.scheduler.loop.Warmup;
import io.flotilla.scheduler.orchestrator.Orchestrator;
import io.flotilla.scheduler.placement.TaskScheduler;
import io.flotilla.scheduler.state.ClusterView;
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
import java.util.concurrent.TimeUnit;

/**
 * Wires the loop: List nodes, services, tasks and the cluster from the store (the view's snapshot and its
 * index), then follows the store's Watch from there (flotilla.scheduler.events=watch, the default: the change
 * reaches the scheduler without the Kafka hop, design/scheduler.md), or Kafka (=kafka), falling back to the
 * Watch when Kafka cannot be reached.
 * Every manager runs one; they need no leader election because every write is a compare-and-set
 * (see design/scheduler.md).
 */
@ApplicationScoped
public class SchedulerRunner {
    private static final Logger LOG = Logger.getLogger(SchedulerRunner.class);

    @GrpcClient("store")
    StoreGrpc.StoreBlockingStub store;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "quarkus.grpc.clients.store.plain-text", defaultValue = "false")
    boolean plaintext;
    /** This node's certificate, whose O is the swarm's id (the events of other swarms on the topic are skipped). */
    @ConfigProperty(name = "quarkus.grpc.clients.store.ssl.certificate", defaultValue = "")
    String certificate;

    @ConfigProperty(name = "flotilla.scheduler.enabled", defaultValue = "true")
    boolean enabled;

    /** Store batches of a plan in flight at once (design/scheduler.md). */
    @ConfigProperty(name = "flotilla.scheduler.in-flight", defaultValue = "4")
    int inFlight;

    /** Where the loop's events come from: watch (the store's Watch) or kafka (flotilla.state.v1). */
    @ConfigProperty(name = "flotilla.scheduler.events", defaultValue = "watch")
    String events;

    /** Runs the loop's code paths over made-up objects before serving ({@link Warmup}). */
    @ConfigProperty(name = "flotilla.scheduler.warm-up", defaultValue = "true")
    boolean warmUp;

    private ControlLoop loop;
    private StateEventListener kafka;
    private StoreWatchSource watch;
    private volatile boolean running;
    private boolean warmUpStarted;
    /** flotilla.scheduler.events=kafka, read at start. */
    private boolean followsKafka;
    private Thread thread;

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        followsKafka = "kafka".equalsIgnoreCase(events.trim());
        if (!followsKafka && !"watch".equalsIgnoreCase(events.trim())) {
            throw new IllegalArgumentException("flotilla.scheduler.events must be watch or kafka, not '" + events + "'");
        }
        loop = new ControlLoop(new ClusterView(), new Orchestrator(), new TaskScheduler(), new StorePlanApplier(store),
                System::currentTimeMillis, ControlLoop.Options.defaults().withInFlight(inFlight));
        if (followsKafka) { // no Kafka consumer (nor its JSON parser) is made for the Watch
            kafka = new StateEventListener(bootstrap, SwarmCertificates.ownCluster(plaintext, certificate));
            kafka.prepare(Duration.ofSeconds(5)); // beside the initial list
        }
        watch = new StoreWatchSource(store);
        running = true;
        thread = new Thread(this::run, "scheduler-events");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * After the first initial list, on its own loop and view. Not beside the list: on the lab right after a swarm
     * init (load 3-6) the warm-up's 6 s of work delayed the list, so the first service's task came 4.2 s after
     * the service, against 1.1 s with no warm-up (design/scheduler.md, "Warm-up").
     */
    private void startWarmUpOnce() {
        if (warmUp && !warmUpStarted) {
            warmUpStarted = true;
            Thread w = new Thread(this::warmUp, "scheduler-warmup");
            w.setDaemon(true);
            w.start();
        }
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (kafka != null) {
            kafka.stop();
        }
        if (thread != null) {
            thread.interrupt();
        }
        if (loop != null) {
            loop.close();
        }
    }

    private void run() {
        long backoff = 200;
        while (running) {
            try {
                long index = initialList();
                loop.start("scheduler-loop");
                startWarmUpOnce();
                backoff = 200;
                followEvents(index);
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warnf("event source failed (%s); starting again in %d ms", e.getMessage(), backoff);
                sleep(backoff);
                backoff = Math.min(5_000, backoff * 2);
            }
        }
    }

    /** Loads and compiles the loop's code for the passes after the first ones. Never fails the start. */
    private void warmUp() {
        long t0 = System.nanoTime();
        try {
            Warmup.Result r = Warmup.run(followsKafka);
            LOG.infof("warmed up in %d ms (%d changes, %d placements, none written)",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), r.changes(), r.placed());
        } catch (RuntimeException | LinkageError e) {
            LOG.warnf("warm-up failed (%s); serving cold", e.toString());
        }
    }

    /** Lists every kind the scheduler needs; returns the lowest index of the lists. */
    private long initialList() {
        List<StoredObject> objects = new ArrayList<>();
        long index = Long.MAX_VALUE;
        for (Kind kind : List.of(Kind.KIND_CLUSTER, Kind.KIND_NODE, Kind.KIND_SERVICE, Kind.KIND_TASK)) {
            ListResponse r = store.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .list(ListRequest.newBuilder().setKind(kind).build());
            objects.addAll(r.getObjectsList());
            index = Math.min(index, r.getIndex());
        }
        loop.load(objects, index);
        LOG.infof("loaded %d objects from the store at index %d", objects.size(), index);
        return index;
    }

    private void followEvents(long index) {
        if (!followsKafka) {
            watch.follow(loop, Math.max(loop.index(), index));
            throw new IllegalStateException("the store's Watch ended");
        }
        try {
            kafka.follow(loop, index, Duration.ofSeconds(5));
            return; // stopped
        } catch (org.apache.kafka.common.KafkaException e) {
            LOG.warnf("Kafka at %s not reachable (%s): following the store's Watch instead", bootstrap, e.getMessage());
        }
        watch.follow(loop, Math.max(loop.index(), index));
        throw new IllegalStateException("the store's Watch ended");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean ready() {
        return loop != null && loop.loaded() && (kafka != null && kafka.connected() || watch.connected());
    }

    public ControlLoop loop() {
        return loop;
    }
}
