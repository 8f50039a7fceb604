package io.flotilla.scheduler.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.Topics;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.scheduler.loop.ControlLoop;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Follows flotilla.state.v1 (partition 0, from the beginning) into the control loop, dropping events at
 * or below the index of the initial list (the view already has them). Decoding only; the loop does the rest.
 * <p>
 * It reads committed records only (design/scheduler.md, "Kafka hop"). Reading uncommitted ones would hand a
 * record over ~25 ms sooner, but a fenced leader's aborted transaction is published again by the next leader
 * from an earlier point, so its changes would arrive a second time after newer ones; the view's tombstone of a
 * deleted object lasts only until the stream has passed the deletion's index, so a replayed create of it
 * brought the object back and the loop wrote tasks for a deleted service (a harness replay showed it).
 */
public final class StateEventListener {
    private static final Logger LOG = Logger.getLogger(StateEventListener.class);

    private static final TopicPartition PARTITION = new TopicPartition(Topics.STATE_V1, 0);

    private final String bootstrap;
    /** This consumer's swarm (null: unknown): the records of another swarm on the topic are skipped. */
    private final String cluster;
    private final JsonFormat.Parser parser = JsonFormat.parser().ignoringUnknownFields();
    private volatile boolean connected;
    private volatile KafkaConsumer<String, String> consumer;
    /** A consumer made ahead of {@link #follow}, connected already (or failed), or null. */
    private final AtomicReference<CompletableFuture<KafkaConsumer<String, String>>> prepared = new AtomicReference<>();

    public StateEventListener(String bootstrap, String cluster) {
        this.bootstrap = bootstrap;
        this.cluster = cluster;
    }

    public boolean connected() {
        return connected;
    }

    public void stop() {
        KafkaConsumer<String, String> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        CompletableFuture<KafkaConsumer<String, String>> p = prepared.getAndSet(null);
        if (p != null) {
            p.thenAccept(KafkaConsumer::close);
        }
    }

    /**
     * Makes the consumer and connects it on a thread of its own while the caller lists the store: at a manager's
     * start on a loaded host the Kafka client's start (loading its classes, its first metadata) took 2-5 s between
     * the initial list and following the topic, and the first service created after a swarm init waited for it.
     */
    public void prepare(Duration connectTimeout) {
        CompletableFuture<KafkaConsumer<String, String>> f = new CompletableFuture<>();
        if (!prepared.compareAndSet(null, f)) {
            return;
        }
        Thread t = new Thread(() -> {
            KafkaConsumer<String, String> c = null;
            try {
                c = newConsumer();
                c.beginningOffsets(List.of(PARTITION), connectTimeout);
                f.complete(c);
            } catch (RuntimeException e) {
                if (c != null) {
                    c.close();
                }
                f.completeExceptionally(e);
            }
        }, "kafka-client-start");
        t.setDaemon(true);
        t.start();
    }

    /** The prepared consumer if it connected, else a new one (whose connection follow() tries itself). */
    private KafkaConsumer<String, String> take() {
        CompletableFuture<KafkaConsumer<String, String>> f = prepared.getAndSet(null);
        if (f != null) {
            try {
                return f.join();
            } catch (RuntimeException e) {
                LOG.debugf("the consumer made ahead did not connect (%s): connecting again", e.toString());
            }
        }
        return newConsumer();
    }

    private KafkaConsumer<String, String> newConsumer() {
        Properties props = Topics.stateConsumerSettings(bootstrap, StringDeserializer.class); // committed only
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        return new KafkaConsumer<>(props);
    }

    /**
     * Runs in the calling thread until stopped. Throws org.apache.kafka.common.errors.TimeoutException
     * if the broker cannot be reached within the timeout at start (the caller falls back to Watch).
     */
    public void follow(ControlLoop loop, long afterIndex, Duration connectTimeout) {
        try (KafkaConsumer<String, String> c = take()) {
            consumer = c;
            c.beginningOffsets(List.of(PARTITION), connectTimeout); // throws TimeoutException if unreachable
            c.assign(List.of(PARTITION));
            c.seekToBeginning(List.of(PARTITION));
            connected = true;
            LOG.infof("following %s from %s (events after index %d of swarm %s)", Topics.STATE_V1, bootstrap, afterIndex,
                    cluster == null ? "(any)" : cluster);
            while (true) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (alreadyHeld(r, afterIndex) || ofOtherCluster(r, cluster)) {
                        continue;
                    }
                    StateEvent.Builder b = StateEvent.newBuilder();
                    try {
                        parser.merge(r.value(), b);
                    } catch (InvalidProtocolBufferException e) {
                        LOG.warnf("skipping an undecodable state event at offset %d: %s", r.offset(), e.getMessage());
                        continue;
                    }
                    if (b.getIndex() > afterIndex) {
                        loop.submit(b.build());
                    }
                }
            }
        } catch (WakeupException e) {
            LOG.debug("state event listener stopped");
        } finally {
            connected = false;
            consumer = null;
        }
    }

    /**
     * A record of the history before the initial list (the topic is read from its beginning): skipped by its
     * index header, without decoding its JSON (tens of microseconds each, the whole history at every start).
     */
    static boolean alreadyHeld(ConsumerRecord<String, String> r, long afterIndex) {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(Topics.INDEX_HEADER);
        return h != null && Topics.atOrBelow(h.value(), afterIndex);
    }

    /** A record of another swarm than this consumer's (a swarm left and a new one initialised on the same topic). */
    static boolean ofOtherCluster(ConsumerRecord<String, String> r, String cluster) {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(Topics.CLUSTER_HEADER);
        return Topics.ofOtherCluster(h == null ? null : h.value(), cluster);
    }
}
