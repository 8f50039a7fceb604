package io.flotilla.dns.feed;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.Topics;
import io.flotilla.contracts.v1.StateEvent;
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
import java.util.function.Consumer;

/**
 * Follows flotilla.state.v1 (partition 0, from its start) and hands on the events after the snapshot's
 * index. Throws a KafkaException (a TimeoutException) when the broker cannot be reached at start.
 */
final class KafkaEvents {
    private static final Logger LOG = Logger.getLogger(KafkaEvents.class);

    private final String bootstrap;
    private final JsonFormat.Parser parser = JsonFormat.parser().ignoringUnknownFields();
    private volatile boolean connected;
    private volatile KafkaConsumer<String, String> consumer;

    KafkaEvents(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    boolean connected() {
        return connected;
    }

    void stop() {
        KafkaConsumer<String, String> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    void follow(long afterIndex, Duration connectTimeout, Consumer<StateEvent> sink) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props)) {
            consumer = c;
            TopicPartition partition = new TopicPartition(Topics.STATE_V1, 0);
            c.beginningOffsets(List.of(partition), connectTimeout);
            c.assign(List.of(partition));
            c.seekToBeginning(List.of(partition));
            connected = true;
            LOG.infof("following %s from %s (events after index %d)", Topics.STATE_V1, bootstrap, afterIndex);
            while (true) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    StateEvent.Builder b = StateEvent.newBuilder();
                    try {
                        parser.merge(r.value(), b);
                    } catch (InvalidProtocolBufferException e) {
                        LOG.warnf("skipping an undecodable state event at offset %d: %s", r.offset(), e.getMessage());
                        continue;
                    }
                    if (b.getIndex() > afterIndex) {
                        sink.accept(b.build());
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
}
