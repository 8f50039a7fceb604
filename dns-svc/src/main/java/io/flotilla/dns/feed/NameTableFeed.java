package io.flotilla.dns.feed;

import io.flotilla.contracts.SwarmCertificates;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.ListResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.dns.view.NameTable;
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
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps the name table current: List networks, services and tasks from the store (the snapshot and its
 * index), then the Kafka events after that index, or Store.Watch(from_index) when Kafka cannot be
 * reached. Any failure starts over from a fresh List.
 */
@ApplicationScoped
public class NameTableFeed {
    private static final Logger LOG = Logger.getLogger(NameTableFeed.class);

    private final NameTable table = new NameTable();
    private final LongAdder applied = new LongAdder();

    @GrpcClient("store")
    StoreGrpc.StoreBlockingStub store;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "quarkus.grpc.clients.store.plain-text", defaultValue = "false")
    boolean plaintext;
    /** This node's certificate, whose O is the swarm's id (the events of other swarms on the topic are skipped). */
    @ConfigProperty(name = "quarkus.grpc.clients.store.ssl.certificate", defaultValue = "")
    String certificate;

    @ConfigProperty(name = "flotilla.events.enabled", defaultValue = "true")
    boolean enabled;

    private KafkaEvents kafka;
    private StoreWatch watch;
    private volatile boolean running;
    private volatile boolean loaded;
    private Thread thread;

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        kafka = new KafkaEvents(bootstrap, SwarmCertificates.ownCluster(plaintext, certificate));
        watch = new StoreWatch(store);
        running = true;
        thread = new Thread(this::run, "dns-state-events");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (kafka != null) {
            kafka.stop();
        }
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        long backoff = 200;
        while (running) {
            try {
                long index = load();
                backoff = 200;
                try {
                    kafka.follow(index, Duration.ofSeconds(5), this::apply);
                    if (!running) {
                        return;
                    }
                } catch (org.apache.kafka.common.KafkaException e) {
                    LOG.warnf("Kafka at %s not reachable (%s): following the store's Watch instead", bootstrap,
                            e.getMessage());
                    watch.follow(table.index(), this::apply);
                }
                throw new IllegalStateException("the event stream ended");
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warnf("state events failed (%s); listing again in %d ms", e.getMessage(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(5_000, backoff * 2);
            }
        }
    }

    private void apply(io.flotilla.contracts.v1.StateEvent e) {
        if (table.apply(e)) {
            applied.increment();
        }
    }

    /** Lists the kinds the table needs; loads them at the lowest index of the lists (later ones are redeliveries). */
    private long load() {
        List<StoredObject> objects = new ArrayList<>();
        long index = Long.MAX_VALUE;
        for (Kind kind : List.of(Kind.KIND_NETWORK, Kind.KIND_SERVICE, Kind.KIND_TASK)) {
            ListResponse r = store.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .list(ListRequest.newBuilder().setKind(kind).build());
            objects.addAll(r.getObjectsList());
            index = Math.min(index, r.getIndex());
        }
        table.load(objects, index);
        loaded = true;
        LOG.infof("name table loaded: %d objects at index %d (%d services, %d running tasks)", objects.size(), index,
                table.services(), table.runningTasks());
        return index;
    }

    public NameTable table() {
        return table;
    }

    public boolean ready() {
        return loaded && ((kafka != null && kafka.connected()) || (watch != null && watch.connected()));
    }

    public long eventsApplied() {
        return applied.sum();
    }

    /** Records read from the Kafka topic, and how many of them were decoded (the others were not the table's). */
    public long eventsRead() {
        return kafka == null ? 0 : kafka.records();
    }

    public long eventFetches() {
        return kafka == null ? 0 : kafka.fetches();
    }

    public long eventsDecoded() {
        return kafka == null ? 0 : kafka.decoded();
    }
}
