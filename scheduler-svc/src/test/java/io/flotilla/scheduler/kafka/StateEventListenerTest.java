package io.flotilla.scheduler.kafka;

import io.flotilla.contracts.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateEventListenerTest {

    static ConsumerRecord<String, String> record(String indexHeader) {
        ConsumerRecord<String, String> r = new ConsumerRecord<>(Topics.STATE_V1, 0, 0, "id", "{not json at all");
        if (indexHeader != null) {
            r.headers().add(Topics.INDEX_HEADER, indexHeader.getBytes(StandardCharsets.UTF_8));
        }
        return r;
    }

    @Test
    void theStateTopicIsReadCommittedOnlyWithSettingsKafkaKnows() {
        Properties p = Topics.stateConsumerSettings("127.0.0.1:9", StringDeserializer.class);
        assertTrue(ConsumerConfig.configNames().containsAll(p.stringPropertyNames()), p.toString());
        assertEquals("read_committed", p.get(ConsumerConfig.ISOLATION_LEVEL_CONFIG));
        assertEquals("false", p.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG));
        assertEquals(StringDeserializer.class.getName(), p.get(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG));
    }

    @Test
    void recordsUpToTheInitialListsIndexAreSkippedByTheirHeaderWithoutDecoding() {
        assertTrue(StateEventListener.alreadyHeld(record("41"), 42));
        assertTrue(StateEventListener.alreadyHeld(record("42"), 42));
        assertFalse(StateEventListener.alreadyHeld(record("43"), 42), "a later event is decoded and applied");
        assertFalse(StateEventListener.alreadyHeld(record("1234567890123"), 42));
    }

    @Test
    void aRecordWithoutAUsableIndexHeaderIsJudgedByItsContent() {
        assertFalse(StateEventListener.alreadyHeld(record(null), 42));
        assertFalse(StateEventListener.alreadyHeld(record(""), 42));
        assertFalse(StateEventListener.alreadyHeld(record("4x"), 42));
        assertFalse(StateEventListener.alreadyHeld(record("-1"), 42));
        assertFalse(StateEventListener.alreadyHeld(record("99999999999999999999999"), Long.MAX_VALUE), "too long for a long");
    }

    @Test
    void aRecordOfAnotherSwarmIsSkipped() {
        ConsumerRecord<String, String> r = record("3");
        r.headers().add(Topics.CLUSTER_HEADER, "swarm-a".getBytes(StandardCharsets.UTF_8));
        assertTrue(StateEventListener.ofOtherCluster(r, "swarm-b"), "the swarm left before this one");
        assertFalse(StateEventListener.ofOtherCluster(r, "swarm-a"));
        assertFalse(StateEventListener.ofOtherCluster(r, null), "a consumer that knows no swarm (plain text)");
        assertFalse(StateEventListener.ofOtherCluster(record("3"), "swarm-b"), "a record without the header");
    }
}
