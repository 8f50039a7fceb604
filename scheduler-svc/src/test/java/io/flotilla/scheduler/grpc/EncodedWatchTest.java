package io.flotilla.scheduler.grpc;

import com.google.protobuf.ByteString;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.scheduler.state.ClusterView;
import io.flotilla.scheduler.state.EncodedEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Watch's answers read with their objects left encoded, and the view decoding only what it lacks. */
class EncodedWatchTest {

    static Task task(String id, long version, String node) {
        return Task.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(version)).setServiceId("svc")
                .setNodeId(node).setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_ASSIGNED)).build();
    }

    static StateEvent event(Op op, StoredObject o, Kind kind, String id, long at) {
        return StateEvent.newBuilder().setKind(kind).setId(id).setVersion(at).setIndex(at).setOp(op).setObject(o).build();
    }

    @Test
    void aWatchResponseReadsBackIntoTheSameEvents() throws Exception {
        List<StateEvent> events = List.of(
                event(Op.OP_CREATE, StoredObject.newBuilder().setTask(task("t1", 7, "n1")).build(), Kind.KIND_TASK, "t1", 7),
                event(Op.OP_UPDATE, StoredObject.newBuilder().setNode(Node.newBuilder().setMeta(Meta.newBuilder().setId("n1")
                        .setVersion(8))).build(), Kind.KIND_NODE, "n1", 8),
                StateEvent.newBuilder().setKind(Kind.KIND_TASK).setId("t0").setVersion(9).setIndex(9).setOp(Op.OP_DELETE).build(),
                event(Op.OP_CREATE, StoredObject.newBuilder().setTask(task("t2", 3, "")).build(), Kind.KIND_TASK, "t2", 3)
                        .toBuilder().setSnapshot(true).build());
        WatchResponse sent = WatchResponse.newBuilder().addAllEvents(events).setIndex(9).setSnapshotComplete(true).build();
        EncodedWatch.Batch read = new EncodedWatch.Marshaller().parse(sent.toByteString().newInput());
        assertEquals(9, read.index());
        assertTrue(read.snapshotComplete());
        assertEquals(events, read.events().stream().map(EncodedEvent::decode).toList());
        assertEquals(List.of(7L, 8L, 9L, 3L), read.events().stream().map(EncodedEvent::index).toList());
    }

    @Test
    void anEventTheViewAlreadyHoldsIsNotDecodedAndANewerOneIs() {
        ClusterView view = new ClusterView();
        // the scheduler's own write, recorded with the version the store returned
        view.upsert(StoredObject.newBuilder().setTask(task("t1", 0, "n1")).build(), 7);
        ByteString unreadable = ByteString.copyFromUtf8("not a StoredObject");
        // the same write coming back: nothing to do, its bytes are never read
        assertEquals(java.util.Set.of(), view.apply(new EncodedEvent(Kind.KIND_TASK_VALUE, "t1", 7, 7, Op.OP_CREATE_VALUE,
                false, unreadable)));
        assertEquals(7, view.index());
        // a later change by someone else is decoded (these bytes cannot be)
        assertThrows(IllegalArgumentException.class, () -> view.apply(new EncodedEvent(Kind.KIND_TASK_VALUE, "t1", 8, 8,
                Op.OP_UPDATE_VALUE, false, unreadable)));
        Task running = task("t1", 8, "n1").toBuilder().setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_RUNNING)).build();
        assertTrue(view.apply(new EncodedEvent(Kind.KIND_TASK_VALUE, "t1", 8, 8, Op.OP_UPDATE_VALUE, false,
                StoredObject.newBuilder().setTask(running).build().toByteString())).contains("svc"));
        assertEquals(TaskState.TASK_RUNNING, view.task("t1").getStatus().getState());
        assertEquals(8, view.task("t1").getMeta().getVersion());
    }
}
