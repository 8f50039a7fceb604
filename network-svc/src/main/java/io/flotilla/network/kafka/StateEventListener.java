package io.flotilla.network.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.Topics;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.network.view.NetworkView;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/** Follows flotilla.state.v1 from its start into the NetworkView (at-least-once; the view drops repeats). */
@ApplicationScoped
public class StateEventListener {
    private static final Logger LOG = Logger.getLogger(StateEventListener.class);

    private final NetworkView view = new NetworkView();
    private final JsonFormat.Parser parser = JsonFormat.parser().ignoringUnknownFields();
    private volatile boolean connected;
    private volatile long eventsApplied;
    private volatile KafkaConsumer<String, String> consumer;
    private Thread thread;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "flotilla.events.enabled", defaultValue = "true")
    boolean enabled;

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        thread = new Thread(this::run, "state-events");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        KafkaConsumer<String, String> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    private void run() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props)) {
            consumer = c;
            TopicPartition partition = new TopicPartition(Topics.STATE_V1, 0);
            c.assign(List.of(partition));
            c.seekToBeginning(List.of(partition));
            while (true) {
                var records = c.poll(Duration.ofMillis(500));
                if (!connected) {
                    c.position(partition, Duration.ofSeconds(5));
                    connected = true;
                    LOG.infof("following %s from %s", Topics.STATE_V1, bootstrap);
                }
                for (ConsumerRecord<String, String> r : records) {
                    handle(r);
                }
            }
        } catch (WakeupException e) {
            LOG.debug("state event listener stopped");
        } catch (RuntimeException e) {
            connected = false;
            LOG.errorf(e, "state event listener failed; restarting in 1 s");
            sleepQuietly();
            run();
        }
    }

    private void handle(ConsumerRecord<String, String> record) {
        StateEvent.Builder b = StateEvent.newBuilder();
        try {
            parser.merge(record.value(), b);
        } catch (InvalidProtocolBufferException e) {
            LOG.warnf("skipping an undecodable state event at offset %d: %s", record.offset(), e.getMessage());
            return;
        }
        if (view.apply(b.build(), positionInBatch(record))) {
            eventsApplied++;
        }
    }

    /** The position of an event within its batch, from its CloudEvents id "<index>-<position>". */
    static long positionInBatch(ConsumerRecord<String, String> record) {
        Header id = record.headers().lastHeader("ce_id");
        if (id == null) {
            return record.offset();
        }
        String s = new String(id.value(), StandardCharsets.UTF_8);
        int dash = s.lastIndexOf('-');
        try {
            return dash < 0 ? record.offset() : Long.parseLong(s.substring(dash + 1));
        } catch (NumberFormatException e) {
            return record.offset();
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean connected() {
        return connected;
    }

    public long eventsApplied() {
        return eventsApplied;
    }

    public NetworkView view() {
        return view;
    }
}
