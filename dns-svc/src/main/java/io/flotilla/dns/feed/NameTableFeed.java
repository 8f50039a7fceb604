package io.flotilla.dns.feed;

import io.flotilla.contracts.SwarmCertificates;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.ListResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.dns.view.NameTable;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps the name table current: List networks, services and tasks from the store (the snapshot and its
 * index), then the Kafka events after that index, or Store.Watch(from_index) when Kafka cannot be
 * reached. Any failure starts over from a fresh List.
 *
 * <p>Which store: {@code flotilla.store.host}/{@code port}, or, when {@code flotilla.store.file} is set (as the
 * node-agent does: it starts this service at its own start, before the node is in a swarm), the store that file
 * names ({@link StoreTarget}), read again when its directory changes ({@link StoreFileWatch}). While it names none the table is empty
 * and nothing is followed; when it names another (or is rewritten) the feed drops its connection and starts
 * over. The TLS files are read at each connection, so a renewed certificate is used from the next one on.
 * Started with none, it first warms its path up ({@link FeedWarmUp}); {@link #started()} tells when that is over.
 */
@ApplicationScoped
public class NameTableFeed {
    private static final Logger LOG = Logger.getLogger(NameTableFeed.class);
    private static final int MAX_MESSAGE = 32 * 1024 * 1024;

    private final NameTable table = new NameTable();
    private final LongAdder applied = new LongAdder();

    @ConfigProperty(name = "flotilla.store.host", defaultValue = "localhost")
    String storeHost;
    @ConfigProperty(name = "flotilla.store.port", defaultValue = "2377")
    int storePort;
    /** Where the node-agent names the store (see the class comment); unset: the host and port above. */
    @ConfigProperty(name = "flotilla.store.file")
    Optional<String> storeFile;
    @ConfigProperty(name = "flotilla.store.plain-text", defaultValue = "false")
    boolean plaintext;
    /** This node's certificate, whose O is the swarm's id (the events of other swarms on the topic are skipped). */
    @ConfigProperty(name = "flotilla.store.tls.certificate", defaultValue = "")
    String certificate;
    @ConfigProperty(name = "flotilla.store.tls.key", defaultValue = "")
    String key;
    @ConfigProperty(name = "flotilla.store.tls.ca", defaultValue = "")
    String ca;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "flotilla.events.enabled", defaultValue = "true")
    boolean enabled;
    /** With the store file's directory watched: how often the file is read all the same (a change the watch missed). */
    @ConfigProperty(name = "flotilla.store.file-recheck-ms", defaultValue = "5000")
    long fileRecheckMs;

    private final Object changed = new Object();
    private volatile Optional<StoreTarget> target = Optional.empty();
    private String fileText;                 // the last read of the store file (null: not read yet)
    private volatile KafkaEvents kafka;
    private volatile StoreWatch watch;
    private volatile ManagedChannel channel;
    private volatile boolean running;
    private volatile boolean loaded;
    private volatile boolean started;   // the warm-up (if any) is over
    private Thread thread;
    private StoreFileWatch fileWatch;

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            started = true;
            return;
        }
        running = true;
        if (storeFile.filter(f -> !f.isBlank()).isPresent()) {
            Path file = Path.of(storeFile.get());
            readStoreFile(file);
            fileWatch = new StoreFileWatch(file, fileRecheckMs, () -> readStoreFile(file)).start();
            LOG.infof("the store is named in %s: %s", file, target.map(Object::toString).orElse("none yet"));
        } else {
            target = Optional.of(new StoreTarget(storeHost, storePort, ""));
        }
        // started with no store (a node in no swarm): the first connection's classes are loaded and compiled now
        boolean warmUp = target.isEmpty();
        thread = new Thread(() -> {
            if (warmUp) {
                FeedWarmUp.run();
            }
            started = true;
            run();
        }, "dns-state-events");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (fileWatch != null) {
            fileWatch.close();
        }
        dropConnection();
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Reads the store file; when its text changed, the feed leaves its store and follows the one it names. */
    private void readStoreFile(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            text = "";
        } catch (IOException e) {
            LOG.warnf("cannot read %s: %s", file, e.getMessage());
            return;
        }
        if (text.equals(fileText)) {
            return;
        }
        fileText = text;
        Optional<StoreTarget> next;
        try {
            next = StoreTarget.parse(text);
        } catch (IllegalArgumentException e) {
            LOG.warnf("%s names no store (%s): following none", file, e.getMessage());
            next = Optional.empty();
        }
        LOG.infof("store: %s", next.map(Object::toString).orElse("none (this node is in no swarm)"));
        synchronized (changed) {
            target = next;
            changed.notifyAll();
        }
        dropConnection();
    }

    /** Ends the current List, follow or Watch (the feed thread then looks at the target again). */
    private void dropConnection() {
        KafkaEvents k = kafka;
        if (k != null) {
            k.stop();
        }
        ManagedChannel c = channel;
        if (c != null) {
            c.shutdownNow();
        }
    }

    private void run() {
        long backoff = 200;
        while (running) {
            StoreTarget t = awaitTarget();
            if (t == null) {
                return;
            }
            try {
                ManagedChannel ch = open(t);
                channel = ch;
                try {
                    if (!following(t)) {
                        continue; // replaced while connecting
                    }
                    StoreGrpc.StoreBlockingStub store = StoreGrpc.newBlockingStub(ch).withMaxInboundMessageSize(MAX_MESSAGE);
                    long index = load(store, t);
                    backoff = 200;
                    KafkaEvents k = new KafkaEvents(bootstrap, SwarmCertificates.ownCluster(plaintext, certificate),
                            table::holdsTask);
                    kafka = k;
                    if (!following(t)) {
                        continue;
                    }
                    try {
                        k.follow(index, Duration.ofSeconds(5), this::apply);
                    } catch (org.apache.kafka.common.KafkaException e) {
                        LOG.warnf("Kafka at %s not reachable (%s): following the store's Watch instead", bootstrap,
                                e.getMessage());
                        StoreWatch w = new StoreWatch(store);
                        watch = w;
                        w.follow(table.index(), this::apply);
                    }
                    if (!running || !following(t)) {
                        continue;
                    }
                    throw new IllegalStateException("the event stream ended");
                } finally {
                    channel = null;
                    ch.shutdownNow();
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                if (!following(t)) {
                    continue; // the store was replaced: no failure, start over at once
                }
                LOG.warnf("state events failed (%s); listing again in %d ms", e.getMessage(), backoff);
                synchronized (changed) {
                    try {
                        if (following(t)) {
                            changed.wait(backoff);
                        }
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
                // until a first load the store is likely just starting (a swarm init): try again within a second
                backoff = Math.min(loaded ? 5_000 : 1_000, backoff * 2);
            }
        }
    }

    /** Whether t is still the store to follow (the file may have named another meanwhile). */
    private boolean following(StoreTarget t) {
        return target.equals(Optional.of(t));
    }

    /** The target to follow; while there is none the table is emptied. Null when the feed stops. */
    private StoreTarget awaitTarget() {
        synchronized (changed) {
            while (running) {
                Optional<StoreTarget> t = target;
                if (t.isPresent()) {
                    return t.get();
                }
                if (loaded || table.index() != 0) {
                    table.load(List.of(), 0);
                    loaded = false;
                    LOG.info("name table emptied: no store to follow");
                }
                try {
                    changed.wait();
                } catch (InterruptedException e) {
                    return null;
                }
            }
            return null;
        }
    }

    private ManagedChannel open(StoreTarget t) {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(t.host(), t.port());
        if (plaintext) {
            return b.usePlaintext().build();
        }
        try {
            // the node's key and certificate read as the agent's session reads them (SwarmCertificates): no key store
            // sealed with PBKDF2 for each new channel
            return b.sslContext(GrpcSslContexts.forClient().trustManager(new File(ca))
                    .keyManager(SwarmCertificates.keyManager(Path.of(key), Path.of(certificate))).build()).build();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot use this node's certificate (" + certificate + "): " + e.getMessage(), e);
        }
    }

    private void apply(io.flotilla.contracts.v1.StateEvent e) {
        if (table.apply(e)) {
            applied.increment();
        }
    }

    /** Lists the kinds the table needs; loads them at the lowest index of the lists (later ones are redeliveries). */
    private long load(StoreGrpc.StoreBlockingStub store, StoreTarget t) {
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
        LOG.infof("name table loaded from %s: %d objects at index %d (%d services, %d running tasks)", t, objects.size(),
                index, table.services(), table.runningTasks());
        return index;
    }

    public NameTable table() {
        return table;
    }

    /** Started: the warm-up of a feed started with no store is over (at once without one). */
    public boolean started() {
        return started;
    }

    public boolean ready() {
        KafkaEvents k = kafka;
        StoreWatch w = watch;
        return loaded && target.isPresent() && ((k != null && k.connected()) || (w != null && w.connected()));
    }

    public long eventsApplied() {
        return applied.sum();
    }

    /** Records read from the Kafka topic, and how many of them were decoded (the others were not the table's). */
    public long eventsRead() {
        KafkaEvents k = kafka;
        return k == null ? 0 : k.records();
    }

    public long eventFetches() {
        KafkaEvents k = kafka;
        return k == null ? 0 : k.fetches();
    }

    public long eventsDecoded() {
        KafkaEvents k = kafka;
        return k == null ? 0 : k.decoded();
    }
}
