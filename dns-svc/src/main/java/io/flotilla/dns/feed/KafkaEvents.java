package io.flotilla.dns.feed;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.Topics;
import io.flotilla.contracts.v1.StateEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Follows flotilla.state.v1 (partition 0, from its start) and hands on the events after the snapshot's
 * index. Throws a KafkaException (a TimeoutException) when the broker cannot be reached at start.
 *
 * <p>A record of another swarm (its {@code flotilla_cluster} header, when this node knows its own from its
 * certificate) is skipped. A record is decoded (JSON, the costly part) only when the table may need it: its CloudEvents type
 * header ({@code io.flotilla.state.<kind>.<op>}) names a network, service or task, its index header
 * is after the snapshot's, and, for a task, its {@code flotilla_networks} header does not say the task has no
 * addressed network attachment while the table does not hold it (such a task is in no answer: a service without
 * networks has all its tasks' events skipped). A record without those headers is decoded and judged by its content.
 */
final class KafkaEvents {
    private static final Logger LOG = Logger.getLogger(KafkaEvents.class);
    private static final String TYPE_PREFIX = "io.flotilla.state.";
    private static final String TASK_PREFIX = TYPE_PREFIX + "task.";
    /** In a burst of records, the least time from one poll to the next (see {@link #follow}). */
    static final long BURST_PAUSE_MS = 200;

    private final String bootstrap;
    /** flotilla.state.v1 (another topic in tests) */
    private final String topic;
    /** This node's swarm (null: unknown): the records of another swarm on the topic are skipped. */
    private final String cluster;
    private final JsonFormat.Parser parser = JsonFormat.parser().ignoringUnknownFields();
    private volatile boolean connected;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean stopped;
    private volatile long records;   // read from the topic (only the following thread writes these)
    private volatile long decoded;   // of which decoded
    private volatile long pauses;    // polls paced at the topic's end
    private volatile org.apache.kafka.common.Metric fetches;

    /** Whether the table holds a task (by id): its events are decoded whatever its networks. */
    private final Predicate<String> holdsTask;

    /** A follower for a table that holds every task (no task event is skipped for its networks). */
    KafkaEvents(String bootstrap, String cluster) {
        this(bootstrap, cluster, id -> true);
    }

    KafkaEvents(String bootstrap, String cluster, Predicate<String> holdsTask) {
        this(bootstrap, Topics.STATE_V1, cluster, holdsTask);
    }

    KafkaEvents(String bootstrap, String topic, String cluster, Predicate<String> holdsTask) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.cluster = cluster;
        this.holdsTask = holdsTask;
    }

    boolean connected() {
        return connected;
    }

    long records() {
        return records;
    }

    long decoded() {
        return decoded;
    }

    /** Times the loop paused after records at the topic's end (never while it catches up a backlog). */
    long pauses() {
        return pauses;
    }

    /** Fetch requests the consumer sent (its fetch-total metric), 0 before it runs. */
    long fetches() {
        org.apache.kafka.common.Metric m = fetches;
        return m == null || !(m.metricValue() instanceof Number n) ? 0 : n.longValue();
    }

    /** Ends follow, also one not yet connected (it then ends as soon as it is). */
    void stop() {
        stopped = true;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    void follow(long afterIndex, Duration connectTimeout, Consumer<StateEvent> sink) {
        Properties props = consumerProps(bootstrap);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        // a fetch costs the consumer thread (and the broker) far more than decoding the records it brings. The
        // broker answers a fetch as soon as a record is there, or after the topic's 5 s wait (Topics): an idle
        // topic costs a fetch every 5 s, and a change on a quiet topic reaches the table at once. In a burst
        // (a service's tasks starting, one store transaction each) the loop polls at most every BURST_PAUSE_MS, so
        // the burst comes in about five fetches a second instead of one per transaction, and a change reaches the
        // table at most ~200 ms after its commit (dns-svc/design/dns.md, state events). A backlog (the topic
        // read from its start) is read without pauses.
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            consumer = c;
            if (stopped) {
                c.wakeup(); // stopped before the consumer was there to wake
            }
            TopicPartition partition = new TopicPartition(topic, 0);
            c.beginningOffsets(List.of(partition), connectTimeout);
            c.assign(List.of(partition));
            c.seekToBeginning(List.of(partition));
            fetches = c.metrics().entrySet().stream()
                    .filter(m -> m.getKey().name().equals("fetch-total")
                            && m.getKey().group().equals("consumer-fetch-manager-metrics"))
                    .map(java.util.Map.Entry::getValue).findFirst().orElse(null);
            connected = true;
            LOG.infof("following %s from %s (events after index %d of swarm %s)", topic, bootstrap, afterIndex,
                    cluster == null ? "(any)" : cluster);
            while (true) {
                ConsumerRecords<byte[], byte[]> got = c.poll(Duration.ofMillis(500));
                long polled = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> r : got) {
                    handle(r.headers(), r.value(), r.offset(), afterIndex, sink);
                }
                // at the topic's end (not catching up a backlog), the consumer has already asked for the next
                // records: what comes meanwhile waits for the next poll
                if (!got.isEmpty() && c.currentLag(partition).orElse(0) == 0) {
                    pauses++;
                    long left = BURST_PAUSE_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - polled);
                    if (left > 0) {
                        Thread.sleep(left);
                    }
                }
            }
        } catch (WakeupException e) {
            LOG.debug("state event listener stopped");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.debug("state event listener interrupted");
        } finally {
            connected = false;
            consumer = null;
        }
    }

    /** The consumer's settings that the feed and its warm-up ({@link FeedWarmUp}) share: the topic's own. */
    static Properties consumerProps(String bootstrap) {
        return Topics.stateConsumerSettings(bootstrap, ByteArrayDeserializer.class);
    }

    /** One record: decoded and handed on when it may matter to the table (see the class comment). */
    void handle(Headers headers, byte[] value, long offset, long afterIndex, Consumer<StateEvent> sink) {
        records++;
        Header swarm = headers == null ? null : headers.lastHeader(Topics.CLUSTER_HEADER);
        if (Topics.ofOtherCluster(swarm == null ? null : swarm.value(), cluster)) {
            return; // of a swarm left before this one was initialised on the same topic: its indexes are not ours
        }
        String type = header(headers, "ce_type");
        if (type != null && type.startsWith(TYPE_PREFIX) && !wanted(type.substring(TYPE_PREFIX.length()))) {
            return;
        }
        Header index = headers == null ? null : headers.lastHeader(Topics.INDEX_HEADER);
        if (index != null && Topics.atOrBelow(index.value(), afterIndex)) {
            return; // an absent or unreadable header: judged by the content below
        }
        if (value == null) {
            return;
        }
        if (type != null && type.startsWith(TASK_PREFIX) && headers != null
                && Topics.onNoNetwork(bytes(headers.lastHeader(Topics.NETWORKS_HEADER)))) {
            String task = header(headers, "ce_subject");
            if (task != null && !holdsTask.test(task)) {
                return; // a task on no network, not in the table: in no answer before or after this event
            }
        }
        decoded++;
        StateEvent.Builder b = StateEvent.newBuilder();
        try {
            parser.merge(new String(value, StandardCharsets.UTF_8), b);
        } catch (InvalidProtocolBufferException e) {
            LOG.warnf("skipping an undecodable state event at offset %d: %s", offset, e.getMessage());
            return;
        }
        if (b.getIndex() > afterIndex) {
            sink.accept(b.build());
        }
    }

    /** "<kind>.<op>": the kinds the name table keeps. */
    private static boolean wanted(String kindAndOp) {
        return kindAndOp.startsWith("task.") || kindAndOp.startsWith("service.") || kindAndOp.startsWith("network.");
    }

    private static byte[] bytes(Header h) {
        return h == null ? null : h.value();
    }

    private static String header(Headers headers, String key) {
        Header h = headers == null ? null : headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
