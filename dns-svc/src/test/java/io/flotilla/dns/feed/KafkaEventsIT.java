package io.flotilla.dns.feed;

import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.Topics;
import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.flotilla.dns.view.Fixtures.event;
import static io.flotilla.dns.view.Fixtures.obj;
import static io.flotilla.dns.view.Fixtures.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The feed's follower on a real broker (FLOTILLA_TEST_KAFKA, which deploy/test starts), with records written
 * as cluster-state's publisher writes them (a transaction per store commit): how many fetches an idle and a
 * busy topic cost, and that every record comes, in order.
 */
class KafkaEventsIT {
    private String bootstrap;
    private String topic;
    private KafkaProducer<String, byte[]> producer;
    private KafkaEvents events;
    private Thread following;
    private final LinkedBlockingQueue<StateEvent> received = new LinkedBlockingQueue<>();

    @BeforeEach
    void topicAndPublisher() throws Exception {
        bootstrap = System.getenv("FLOTILLA_TEST_KAFKA");
        Assumptions.assumeTrue(bootstrap != null && !bootstrap.isBlank(), "no FLOTILLA_TEST_KAFKA (deploy/test starts one)");
        topic = "dns-feed-it-" + System.nanoTime();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic,
                ProducerConfig.LINGER_MS_CONFIG, "2",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        producer.initTransactions();
    }

    /** The follower, from the topic's start, in a thread of its own. */
    private void follow() {
        events = new KafkaEvents(bootstrap, topic, null, id -> true);
        following = new Thread(() -> events.follow(0, Duration.ofSeconds(10), received::add), "kafka-events-it");
        following.setDaemon(true);
        following.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (events != null) {
            events.stop();
            following.join(10_000);
        }
        if (producer != null) {
            producer.close();
        }
    }

    /** A service's create at {@code index}, in a transaction of its own. */
    private StateEvent publish(long index) throws Exception {
        producer.beginTransaction();
        StateEvent e = send(index);
        producer.commitTransaction();
        return e;
    }

    /** A service's create at {@code index}, with the publisher's headers, in the open transaction. */
    private StateEvent send(long index) throws Exception {
        StateEvent e = event(index, Op.OP_CREATE, obj(service("s" + index, "web" + index, EndpointMode.ENDPOINT_VIP)));
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, 0, e.getId(),
                JsonFormat.printer().omittingInsignificantWhitespace().print(e).getBytes(StandardCharsets.UTF_8));
        r.headers().add("ce_type", "io.flotilla.state.service.create".getBytes(StandardCharsets.UTF_8));
        r.headers().add(Topics.INDEX_HEADER, Long.toString(index).getBytes(StandardCharsets.UTF_8));
        producer.send(r);
        return e;
    }

    private StateEvent next() throws InterruptedException {
        StateEvent e = received.poll(20, TimeUnit.SECONDS);
        assertNotNull(e, "a published event reached the follower");
        return e;
    }

    @Test
    void anIdleTopicCostsAFetchEveryFewSecondsAndAChangeOnItComesWithoutWaitingThemOut() throws Exception {
        follow();
        assertEquals(publish(1), next());
        Thread.sleep(1_000);
        long before = events.fetches();
        Thread.sleep(4_000);
        long idle = events.fetches() - before;
        System.out.printf("idle topic: %d fetches in 4 s%n", idle);
        // the client's defaults would fetch 8 times in 4 s, and a fetch held until 64 kB or 200 ms came 20 times
        assertTrue(idle <= 2, "an idle follower fetched " + idle + " times in 4 s");

        long start = System.nanoTime();
        StateEvent change = publish(2);
        assertEquals(change, next());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("a change on the idle topic reached the follower %d ms after its commit began%n", ms);
        assertTrue(ms < Topics.IDLE_FETCH_WAIT_MS / 2,
                "the fetch waiting at the broker brought the change (" + ms + " ms), not the end of its wait");
    }

    @Test
    void aBurstOfTransactionsComesInOrderInFarFewerFetches() throws Exception {
        follow();
        assertEquals(publish(1), next());
        long before = events.fetches();
        List<StateEvent> sent = new ArrayList<>();
        long start = System.nanoTime();
        for (long i = 2; i <= 61; i++) {
            sent.add(publish(i));
            Thread.sleep(10);
        }
        List<StateEvent> got = new ArrayList<>();
        while (got.size() < sent.size()) {
            got.add(next());
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long fetches = events.fetches() - before;
        System.out.printf("60 transactions in %d ms came in %d fetches%n", ms, fetches);
        assertEquals(sent, got, "every event, once, in the topic's order");
        // a fetch per transaction would be 60: the loop polls at most every BURST_PAUSE_MS while records come
        assertTrue(fetches < 30, "60 transactions took " + fetches + " fetches");
    }

    @Test
    void aBacklogIsReadWithoutPauses() throws Exception {
        // a topic read from its start (a dns-svc starting on a swarm with a history): fetches of up to 1 MB each
        int n = 12_000;
        List<StateEvent> sent = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            producer.beginTransaction();
            for (int i = 1; i <= n / 4; i++) {
                sent.add(send(t * (n / 4) + i));
            }
            producer.commitTransaction();
        }
        follow();
        List<StateEvent> got = new ArrayList<>();
        while (got.size() < n) {
            got.add(next());
        }
        System.out.printf("a backlog of %d records came in %d fetches with %d pauses%n", n, events.fetches(), events.pauses());
        assertEquals(sent, got, "every event, once, in the topic's order");
        assertTrue(events.fetches() >= 3, "the backlog took several fetches (" + events.fetches() + ")");
        assertTrue(events.pauses() <= 1, "the loop paused " + events.pauses() + " times while behind the topic's end");
    }
}
