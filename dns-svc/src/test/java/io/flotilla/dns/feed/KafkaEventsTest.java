package io.flotilla.dns.feed;

import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.flotilla.dns.view.Fixtures.event;
import static io.flotilla.dns.view.Fixtures.obj;
import static io.flotilla.dns.view.Fixtures.running;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Records as cluster-state's publisher writes them: only those the name table may need are decoded. */
class KafkaEventsTest {
    private final KafkaEvents events = new KafkaEvents("unused:9092", null);
    private final List<StateEvent> handedOn = new ArrayList<>();

    private static RecordHeaders headers(String kindAndOp, long index) {
        RecordHeaders h = new RecordHeaders();
        h.add("ce_type", ("io.flotilla.state." + kindAndOp).getBytes(StandardCharsets.UTF_8));
        h.add("flotilla_index", Long.toString(index).getBytes(StandardCharsets.UTF_8));
        return h;
    }

    private static byte[] json(StateEvent e) throws Exception {
        return JsonFormat.printer().omittingInsignificantWhitespace().print(e).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eventsOfAnotherSwarmOnTheTopicAreSkipped() throws Exception {
        KafkaEvents mine = new KafkaEvents("unused:9092", "swarm-b");
        StateEvent old = event(12, Op.OP_UPDATE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")));
        RecordHeaders ofA = headers("task.update", 12);
        ofA.add("flotilla_cluster", "swarm-a".getBytes(StandardCharsets.UTF_8));
        mine.handle(ofA, json(old), 7, 10, handedOn::add);
        assertEquals(List.of(), handedOn, "an event of the swarm left before this one (its indexes start again at 1)");
        RecordHeaders ofB = headers("task.update", 12);
        ofB.add("flotilla_cluster", "swarm-b".getBytes(StandardCharsets.UTF_8));
        mine.handle(ofB, json(old), 8, 10, handedOn::add);
        mine.handle(headers("task.update", 12), json(old), 9, 10, handedOn::add);
        assertEquals(List.of(old, old), handedOn, "this swarm's event, and one without the header, are handed on");
    }

    @Test
    void taskEventsAfterTheSnapshotAreHandedOn() throws Exception {
        StateEvent e = event(12, Op.OP_UPDATE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")));
        events.handle(headers("task.update", 12), json(e), 7, 10, handedOn::add);
        assertEquals(List.of(e), handedOn);
    }

    @Test
    void otherKindsAndEventsTheSnapshotCoversAreNotDecoded() throws Exception {
        // a node heartbeat (not JSON of a table kind at all: decoding it would log a warning)
        events.handle(headers("node.update", 12), "not json".getBytes(StandardCharsets.UTF_8), 1, 10, handedOn::add);
        StateEvent old = event(9, Op.OP_UPDATE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")));
        events.handle(headers("task.update", 9), json(old), 2, 10, handedOn::add);
        assertEquals(List.of(), handedOn);
        assertEquals(2, events.records());
        assertEquals(0, events.decoded());
    }

    @Test
    void theEventsOfATaskOnNoNetworkThatTheTableDoesNotHoldAreNotDecoded() throws Exception {
        java.util.Set<String> held = new java.util.HashSet<>(List.of("held"));
        KafkaEvents k = new KafkaEvents("unused:9092", null, held::contains);
        StateEvent plain = event(12, Op.OP_UPDATE, obj(running("p1", "s9", "plain", 1)));
        k.handle(task("p1", 12, "0"), json(plain), 1, 10, handedOn::add);
        assertEquals(List.of(), handedOn, "a task on no network, not held: in no answer");
        assertEquals(0, k.decoded());

        // held (it had an address before): decoded, the table drops it
        StateEvent lost = event(13, Op.OP_UPDATE, obj(running("held", "s9", "plain", 1)));
        k.handle(task("held", 13, "0"), json(lost), 2, 10, handedOn::add);
        // on a network, or a record without the header: decoded
        StateEvent on = event(14, Op.OP_UPDATE, obj(running("t2", "s1", "nodejs", 2, "n1=172.32.0.4/24")));
        k.handle(task("t2", 14, "1"), json(on), 3, 10, handedOn::add);
        k.handle(headers("task.update", 15), json(plain), 4, 10, handedOn::add);
        assertEquals(List.of(lost, on, plain), handedOn);
        assertEquals(3, k.decoded());
    }

    private static RecordHeaders task(String id, long index, String networks) {
        RecordHeaders h = headers("task.update", index);
        h.add("ce_subject", id.getBytes(StandardCharsets.UTF_8));
        h.add("flotilla_networks", networks.getBytes(StandardCharsets.UTF_8));
        return h;
    }

    @Test
    void aRecordWithoutHeadersIsJudgedByItsContent() throws Exception {
        StateEvent old = event(9, Op.OP_UPDATE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")));
        StateEvent e = event(11, Op.OP_DELETE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")));
        events.handle(new RecordHeaders(), json(old), 1, 10, handedOn::add);
        events.handle(null, json(e), 2, 10, handedOn::add);
        events.handle(new RecordHeaders(), "{broken".getBytes(StandardCharsets.UTF_8), 3, 10, handedOn::add);
        assertEquals(List.of(e), handedOn);
        assertEquals(3, events.decoded());
    }
}
