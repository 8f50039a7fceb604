package io.flotilla.network.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.Topics;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.network.loop.AllocatorLoop;
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

/**
 * Follows flotilla.state.v1 (partition 0) into the allocator loop, dropping events at or below the index of
 * the initial list. Decoding only; the view drops repeats (at-least-once delivery).
 */
public final class StateEventListener {
    private static final Logger LOG = Logger.getLogger(StateEventListener.class);

    private final String bootstrap;
    /** This consumer's swarm (null: unknown): the records of another swarm on the topic are skipped. */
    private final String cluster;
    private final JsonFormat.Parser parser = JsonFormat.parser().ignoringUnknownFields();
    private volatile boolean connected;
    private volatile KafkaConsumer<String, String> consumer;

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
    }

    /** Runs until stopped; throws a KafkaException if the broker cannot be reached within the timeout. */
    public void follow(AllocatorLoop loop, long afterIndex, Duration connectTimeout) {
        Properties props = Topics.stateConsumerSettings(bootstrap, StringDeserializer.class);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props)) {
            consumer = c;
            TopicPartition partition = new TopicPartition(Topics.STATE_V1, 0);
            c.beginningOffsets(List.of(partition), connectTimeout);
            c.assign(List.of(partition));
            c.seekToBeginning(List.of(partition));
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
