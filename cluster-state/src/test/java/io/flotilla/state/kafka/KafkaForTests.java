package io.flotilla.state.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Assumptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka broker for ITs: the one named by FLOTILLA_TEST_KAFKA (deploy/test runs one), or one started
 * here with deploy/kafka/kafka on 127.0.0.1:19192 and stopped again by {@link #close}.
 */
public final class KafkaForTests implements AutoCloseable {
    private final String bootstrap;
    private final Path ownState;

    private KafkaForTests(String bootstrap, Path ownState) {
        this.bootstrap = bootstrap;
        this.ownState = ownState;
    }

    public static KafkaForTests start() throws Exception {
        String env = System.getenv("FLOTILLA_TEST_KAFKA");
        if (env != null && !env.isBlank()) {
            return new KafkaForTests(env.trim(), null);
        }
        Path repo = Path.of(System.getProperty("flotilla.repo", "..")).toAbsolutePath().normalize();
        Path script = repo.resolve("deploy/kafka/kafka");
        Assumptions.assumeTrue(Files.isExecutable(script), "no FLOTILLA_TEST_KAFKA and no " + script);
        Path state = Path.of("/tmp/h3b-kafka-it");
        Process p = new ProcessBuilder(script.toString(), "start", "--listen", "127.0.0.1:19192", "--state", state.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(state.resolveSibling("h3b-kafka-it.log").toFile()))
                .start();
        Assumptions.assumeTrue(p.waitFor(90, TimeUnit.SECONDS) && p.exitValue() == 0,
                "could not start a Kafka broker with " + script + " (see /tmp/h3b-kafka-it.log)");
        return new KafkaForTests("127.0.0.1:19192", state);
    }

    public String bootstrap() {
        return bootstrap;
    }

    public void createTopic(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** What a consumer saw on a topic: checked in order, duplicates dropped by (index, position). */
    public record Seen(long records, long distinct, long duplicates, long firstIndex, long lastIndex) {
    }

    /**
     * Reads the topic from its start until an event of {@code index} has been seen; fails on an event out of
     * index order or a gap (an index skipped, or a position skipped within an index).
     */
    public Seen readUntilIndex(String topic, long index, long timeoutMs) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", "read_committed"); // as every consumer of the topic: a fenced leader's records are aborted
        long records = 0;
        long duplicates = 0;
        long first = -1;
        long lastIndex = 0;
        int lastPos = -1;
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (lastIndex < index && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                    records++;
                    long i = Long.parseLong(header(r, "flotilla_index"));
                    int pos = Integer.parseInt(header(r, "ce_id").split("-")[1]);
                    String key = i + "-" + pos;
                    if (i < lastIndex || i == lastIndex && pos <= lastPos) {
                        if (!seen.contains(key)) {
                            throw new AssertionError("event " + key + " out of order after " + lastIndex + "-" + lastPos
                                    + " (offset " + r.offset() + ")");
                        }
                        duplicates++;
                        continue;
                    }
                    boolean next = first < 0 ? pos == 0 : i == lastIndex && pos == lastPos + 1 || i == lastIndex + 1 && pos == 0;
                    if (!next) {
                        throw new AssertionError("gap: event " + key + " follows " + lastIndex + "-" + lastPos + " (offset " + r.offset() + ")");
                    }
                    if (first < 0) {
                        first = i;
                    }
                    seen.add(key);
                    lastIndex = i;
                    lastPos = pos;
                }
            }
        }
        return new Seen(records, seen.size(), duplicates, first, lastIndex);
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        if (h == null) {
            throw new AssertionError("record at offset " + r.offset() + " has no " + name + " header");
        }
        return new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Waits until a line containing {@code text} is in a log file. */
    public static void awaitLog(Path file, String text, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(file) && Files.readString(file).contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("'" + text + "' not in " + file + " within " + timeoutMs + " ms");
    }

    @Override
    public void close() {
        if (ownState == null) {
            return;
        }
        try {
            Path repo = Path.of(System.getProperty("flotilla.repo", "..")).toAbsolutePath().normalize();
            new ProcessBuilder(repo.resolve("deploy/kafka/kafka").toString(), "stop", "--state", ownState.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("stopping the test broker: " + e, e);
        }
    }
}
