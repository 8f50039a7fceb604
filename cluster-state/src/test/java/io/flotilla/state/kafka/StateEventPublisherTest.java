package io.flotilla.state.kafka;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which events a new leader publishes again, and the positions (ce_id) they carry. */
class StateEventPublisherTest {

    static StateEvent event(long index, boolean snapshot) {
        return StateEvent.newBuilder().setKind(Kind.KIND_TASK).setId("t" + index).setIndex(index).setVersion(index)
                .setOp(Op.OP_CREATE).setSnapshot(snapshot).build();
    }

    @Test
    void resumesAfterTheLastPublishedPositionOfItsIndex() {
        // the topic ends at index 7, position 1: the batch at 7 comes again from the history, 3 events
        StateEventPublisher.Numbering n = new StateEventPublisher.Numbering(new StateEventPublisher.Position(7, 1));
        assertEquals(-1, n.next(event(6, false)), "before the last published index: skipped");
        assertEquals(-1, n.next(event(7, false)));
        assertEquals(-1, n.next(event(7, false)));
        assertEquals(2, n.next(event(7, false)), "the rest of the batch the last leader left half-published");
        assertEquals(0, n.next(event(8, false)));
        assertEquals(1, n.next(event(8, false)));
    }

    @Test
    void anEmptyTopicGetsEverythingAndASnapshotIsNumberedAcrossItsMessages() {
        StateEventPublisher.Numbering n = new StateEventPublisher.Numbering(StateEventPublisher.Position.EMPTY);
        assertEquals(0, n.next(event(1, false)));
        StateEventPublisher.Numbering s = new StateEventPublisher.Numbering(new StateEventPublisher.Position(3, 0));
        for (int i = 0; i < 1200; i++) { // a snapshot at 40 arrives in messages of 500 events
            assertEquals(i, s.next(event(40, true)));
        }
        assertEquals(0, s.next(event(41, false)));
    }

    @Test
    void headersCarryTheIndexPositionAndSwarm() {
        ProducerRecord<String, String> r = new ProducerRecord<>("t", 0, "t5", "{}");
        StateEventPublisher.headers(r, event(5, false), 3, "c1");
        assertEquals("5-3", new String(r.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8));
        assertEquals("5", new String(r.headers().lastHeader("flotilla_index").value(), StandardCharsets.UTF_8));
        assertEquals("io.flotilla.state.task.create", new String(r.headers().lastHeader("ce_type").value(), StandardCharsets.UTF_8));
        assertEquals("c1", new String(r.headers().lastHeader("flotilla_cluster").value(), StandardCharsets.UTF_8));
        assertEquals("flotilla/cluster-state/c1", new String(r.headers().lastHeader("ce_source").value(), StandardCharsets.UTF_8));
        ProducerRecord<String, String> plain = new ProducerRecord<>("t", 0, "t5", "{}");
        StateEventPublisher.headers(plain, event(5, false), 3, null);
        assertNull(plain.headers().lastHeader("flotilla_cluster"), "no swarm known (plain text without a Cluster)");
        assertNull(r.headers().lastHeader("flotilla_networks"), "an event without its task");
    }

    @Test
    void aTaskEventSaysOnHowManyNetworksItsTaskHasAnAddress() {
        Task none = Task.newBuilder().build();
        Task two = Task.newBuilder()
                .addNetworks(NetworkAttachment.newBuilder().setNetworkId("n1").addAddresses("10.0.1.3/24"))
                .addNetworks(NetworkAttachment.newBuilder().setNetworkId("n2")) // not allocated yet
                .addNetworks(NetworkAttachment.newBuilder().setNetworkId("ing").addAddresses("10.255.0.4/16")).build();
        assertEquals("0", networks(none));
        assertEquals("2", networks(two));
    }

    private static String networks(Task t) {
        ProducerRecord<String, String> r = new ProducerRecord<>("t", 0, "t5", "{}");
        StateEvent e = event(5, false).toBuilder().setObject(StoredObject.newBuilder().setTask(t)).build();
        StateEventPublisher.headers(r, e, 0, "c1");
        return new String(r.headers().lastHeader("flotilla_networks").value(), StandardCharsets.UTF_8);
    }

    @Test
    void aNewSwarmOnTheTopicOfAnotherPublishesFromItsStart() {
        StateEventPublisher.Position old = new StateEventPublisher.Position(71, 0);
        // the topic ends with an event of swarm "old": swarm "new" (indexes from 1 again) resumes from nothing
        assertEquals(StateEventPublisher.Position.EMPTY, new StateEventPublisher.Last(old, "old").of("new"));
        // its own last event, or one of a publisher that wrote no swarm id: resumed after it
        assertEquals(old, new StateEventPublisher.Last(old, "new").of("new"));
        assertEquals(old, new StateEventPublisher.Last(old, null).of("new"));
        assertEquals(old, new StateEventPublisher.Last(old, "old").of(null), "a publisher that knows no swarm");
        assertEquals(StateEventPublisher.Position.EMPTY, StateEventPublisher.Last.NONE.of("new"));
    }
}
