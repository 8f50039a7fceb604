package io.flotilla.state.kafka;

import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.Topics;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.state.ca.Clusters;
import io.flotilla.state.raft.RaftStateStore;
import io.flotilla.state.store.StateStore;
import io.flotilla.state.store.StoreException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The outbox to Kafka (schemas/state-event.v1.md): on the leader only, every committed change in index
 * order to the one partition of flotilla.state.v1, in transactions of a transactional id shared by every
 * manager. On becoming leader (and after any Kafka error) it fences the previous leader's producer, reads
 * the last committed record of the partition and resumes right after it from the store's history (an
 * empty topic: from index 1), so no event is skipped or reordered across a change of leader (at least
 * once: consumers read committed records and drop what they have seen by index and position). It never
 * blocks apply: it follows the store through a watch.
 */
@ApplicationScoped
public class StateEventPublisher {
    private static final Logger LOG = Logger.getLogger(StateEventPublisher.class);
    private static final String INDEX_HEADER = io.flotilla.contracts.Topics.INDEX_HEADER;
    private static final String CLUSTER_HEADER = io.flotilla.contracts.Topics.CLUSTER_HEADER;

    @Inject
    RaftStateStore store;
    @ConfigProperty(name = "flotilla.kafka.enabled", defaultValue = "true")
    boolean enabled;
    @ConfigProperty(name = "flotilla.kafka.topic", defaultValue = "flotilla.state.v1")
    String topic;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    /** Plain text (tests): no root CA, so the store may have no Cluster object, and events go without a swarm id. */
    @ConfigProperty(name = "flotilla.grpc.plaintext", defaultValue = "false")
    boolean plaintext;

    private volatile boolean running;
    private Thread thread;

    void onStart(@Observes StartupEvent e) {
        if (!enabled) {
            LOG.info("state events to Kafka disabled (flotilla.kafka.enabled=false)");
            return;
        }
        running = true;
        thread = new Thread(this::run, "state-event-publisher");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent e) {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        long backoff = 200;
        while (running) {
            try {
                if (!store.node().isLeader()) {
                    Thread.sleep(200);
                    continue;
                }
                publishWhileLeader();
                backoff = 200;
            } catch (InterruptedException ie) {
                return;
            } catch (Exception ex) {
                LOG.warnf(ex, "publishing state events failed; retrying in %d ms", backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 5000);
            }
        }
    }

    /** Where the topic ends: the last published store index and position in its batch (0, -1 when empty). */
    record Position(long index, int position) {
        static final Position EMPTY = new Position(0, -1);
    }

    /** The last event of the topic: its position and the swarm that made it (null: a record without the header). */
    record Last(Position position, String cluster) {
        static final Last NONE = new Last(Position.EMPTY, null);

        /**
         * Where this swarm's stream ends: the last event's position if this swarm (or an unknown one) made it;
         * EMPTY when another swarm did (a swarm left, and a new one initialised on the same topic: the new store's
         * indexes start again at 1, and resuming after the old swarm's index would skip every event up to it).
         */
        Position of(String ownCluster) {
            return io.flotilla.contracts.Topics.otherCluster(cluster, ownCluster) ? Position.EMPTY : position;
        }
    }

    /** The last event committed to the topic (read_committed: a fenced leader's aborted records do not count). */
    Last lastPublished() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            if (c.partitionsFor(topic, Duration.ofSeconds(5)).isEmpty()) {
                return Last.NONE;
            }
            TopicPartition tp = new TopicPartition(topic, 0);
            long end = c.endOffsets(List.of(tp), Duration.ofSeconds(5)).get(tp);
            long begin = c.beginningOffsets(List.of(tp), Duration.ofSeconds(5)).get(tp);
            c.assign(List.of(tp));
            // the last records may be transaction markers or aborted: read back in growing windows
            for (long window = 64; end > begin; window *= 8) {
                long from = Math.max(begin, end - window);
                Last last = lastIn(c, tp, from, end);
                if (last != Last.NONE || from == begin) {
                    return last;
                }
            }
            return Last.NONE;
        }
    }

    private static Last lastIn(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long from, long end) {
        c.seek(tp, from);
        Last last = Last.NONE;
        long deadline = System.currentTimeMillis() + 10_000;
        while (c.position(tp) < end && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                Header h = r.headers().lastHeader(INDEX_HEADER);
                Header id = r.headers().lastHeader("ce_id");
                Header cluster = r.headers().lastHeader(CLUSTER_HEADER);
                if (h != null && r.offset() < end) {
                    long index = Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
                    int pos = id == null ? Integer.MAX_VALUE : Integer.parseInt(new String(id.value(), StandardCharsets.UTF_8).split("-")[1]);
                    last = new Last(new Position(index, pos),
                            cluster == null ? null : new String(cluster.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return last;
    }

    Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        // one transactional id for every manager: a new leader's producer fences the one of the leader before
        // it (whose open transaction is aborted), so two leaders never interleave records on the topic
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "flotilla-state-publisher:" + topic);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        // delivery timeout must cover linger + request timeout, or the producer refuses to start
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return p;
    }

    private void publishWhileLeader() throws Exception {
        // the swarm the events belong to: its Cluster object, made with the root CA when the swarm is initialised
        String cluster = Clusters.current(store).map(c -> c.getMeta().getId()).orElse(null);
        if (cluster == null && !plaintext) {
            Thread.sleep(200);
            return;
        }
        LinkedBlockingQueue<WatchResponse> queue = new LinkedBlockingQueue<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        JsonFormat.Printer json = JsonFormat.printer().omittingInsignificantWhitespace();
        StateStore.Watch watch = null;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig())) {
            producer.initTransactions(); // fences the previous leader's publisher before reading where it stopped
            Last tail = lastPublished();
            Position last = tail.of(cluster);
            if (last == Position.EMPTY && tail.position() != Position.EMPTY) {
                LOG.infof("the topic's last event (index %d) is of swarm %s, not of this one (%s): publishing this swarm's"
                        + " events from index 1", tail.position().index(), tail.cluster(), cluster);
            }
            // the batch at the last index again (a leader may have died half-way through it); an empty topic
            // gets the whole history from index 1, not a snapshot
            long after = Math.max(0, last.index() - 1);
            try {
                watch = store.watchHistory(Set.of(), after, queue::add, failure::set);
                LOG.infof("leader: publishing state events to %s after index %d (position %d)", topic, last.index(), last.position());
            } catch (StoreException e) {
                // the history no longer reaches back there: the current state, as a snapshot, then on
                LOG.warnf("history does not reach back to index %d: publishing a snapshot of the state first", last.index());
                watch = store.watch(Set.of(), 0, queue::add, failure::set);
            }
            Numbering numbering = new Numbering(last);
            List<WatchResponse> msgs = new ArrayList<>();
            while (running && store.node().isLeader() && failure.get() == null) {
                WatchResponse first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                msgs.clear();
                msgs.add(first);
                queue.drainTo(msgs, 999);
                producer.beginTransaction();
                for (WatchResponse msg : msgs) {
                    for (StateEvent e : msg.getEventsList()) {
                        int pos = numbering.next(e);
                        if (pos < 0) {
                            continue;
                        }
                        ProducerRecord<String, String> r = new ProducerRecord<>(topic, 0, e.getId(), json.print(e));
                        headers(r, e, pos, cluster);
                        producer.send(r, (md, ex) -> {
                            if (ex != null) {
                                failure.compareAndSet(null, ex);
                            }
                        });
                    }
                }
                producer.commitTransaction();
            }
        } finally {
            if (watch != null) {
                watch.close();
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException("Kafka publishing stopped: " + failure.get(), failure.get());
        }
    }

    /**
     * Positions of events within their index (ce_id = index-position), and which were published already: an
     * event at or before the last published one is skipped, unless it is part of a snapshot (its events all
     * carry the snapshot's index, over several watch messages).
     */
    static final class Numbering {
        private final Position last;
        private long index = -1;
        private int position;

        Numbering(Position last) {
            this.last = last;
        }

        /** The event's position in its index, or -1 when it was published already. */
        int next(StateEvent e) {
            if (e.getIndex() != index) {
                index = e.getIndex();
                position = 0;
            }
            int pos = position++;
            boolean published = e.getIndex() < last.index() || e.getIndex() == last.index() && pos <= last.position();
            return published && !e.getSnapshot() ? -1 : pos;
        }
    }

    /** The record's headers; {@code cluster}: the swarm's id (null in plain text without a Cluster object: left out). */
    static void headers(ProducerRecord<String, String> r, StateEvent e, int position, String cluster) {
        String kind = e.getKind().name().substring("KIND_".length()).toLowerCase();
        String op = e.getOp().name().substring("OP_".length()).toLowerCase();
        Map<String, String> h = new java.util.LinkedHashMap<>();
        h.put("ce_specversion", "1.0");
        h.put("ce_id", e.getIndex() + "-" + position);
        // ce_source + ce_id identify an event: the indexes of two swarms on one topic repeat
        h.put("ce_source", cluster == null ? "flotilla/cluster-state" : "flotilla/cluster-state/" + cluster);
        h.put("ce_type", "io.flotilla.state." + kind + "." + op);
        h.put("ce_subject", e.getId());
        h.put("content-type", "application/json");
        h.put(INDEX_HEADER, Long.toString(e.getIndex()));
        if (cluster != null) {
            h.put(CLUSTER_HEADER, cluster);
        }
        if (e.getKind() == Kind.KIND_TASK && e.hasObject() && e.getObject().hasTask()) {
            h.put(Topics.NETWORKS_HEADER, Integer.toString(addressedAttachments(e.getObject().getTask())));
        }
        h.forEach((k, v) -> r.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
    }

    /** The task's network attachments that have an address (those a name can resolve to). */
    static int addressedAttachments(Task t) {
        int n = 0;
        for (NetworkAttachment a : t.getNetworksList()) {
            if (a.getAddressesCount() > 0) {
                n++;
            }
        }
        return n;
    }
}
