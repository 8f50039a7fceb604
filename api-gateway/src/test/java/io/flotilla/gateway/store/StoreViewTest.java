package io.flotilla.gateway.store;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.WatchResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreViewTest {

    private static StoredObject service(String id, String name, long version) {
        return StoredObject.newBuilder().setService(Service.newBuilder()
                .setMeta(Meta.newBuilder().setId(id).setVersion(version))
                .setSpec(ServiceSpec.newBuilder().setName(name))).build();
    }

    private static StoredObject task(String id, String serviceId, String nodeId, TaskState desired, long version) {
        return StoredObject.newBuilder().setTask(Task.newBuilder()
                .setMeta(Meta.newBuilder().setId(id).setVersion(version))
                .setServiceId(serviceId).setNodeId(nodeId).setDesiredState(desired)).build();
    }

    private static StateEvent event(Op op, StoredObject o, long index, boolean snapshot) {
        Kind kind = o.hasService() ? Kind.KIND_SERVICE : Kind.KIND_TASK;
        String id = o.hasService() ? o.getService().getMeta().getId() : o.getTask().getMeta().getId();
        return StateEvent.newBuilder().setKind(kind).setId(id).setOp(op).setObject(o).setIndex(index)
                .setSnapshot(snapshot).build();
    }

    private static WatchResponse message(long index, boolean snapshotComplete, StateEvent... events) {
        return WatchResponse.newBuilder().addAllEvents(List.of(events)).setIndex(index)
                .setSnapshotComplete(snapshotComplete).build();
    }

    private static Set<String> ids(List<StoredObject> objects) {
        return objects.stream().map(o -> o.hasTask() ? o.getTask().getMeta().getId() : o.getService().getMeta().getId())
                .collect(Collectors.toSet());
    }

    /** A view with service s1 "web" (tasks t1 on n1, t2 on n2) and s2 "db" (task t3 on n1), at index 7. */
    private static StoreView live() {
        StoreView v = new StoreView();
        v.restart();
        v.accept(message(7, false,
                event(Op.OP_CREATE, service("s1", "web", 3), 7, true),
                event(Op.OP_CREATE, task("t1", "s1", "n1", TaskState.TASK_RUNNING, 4), 7, true)));
        v.accept(message(7, true,
                event(Op.OP_CREATE, task("t2", "s1", "n2", TaskState.TASK_RUNNING, 5), 7, true),
                event(Op.OP_CREATE, service("s2", "db", 6), 7, true),
                event(Op.OP_CREATE, task("t3", "s2", "n1", TaskState.TASK_RUNNING, 7), 7, true)));
        return v;
    }

    @Test
    void nothingIsReadBeforeTheSnapshotIsComplete() {
        StoreView v = new StoreView();
        assertFalse(v.readableAt(0, 0));
        v.restart();
        v.accept(message(7, false, event(Op.OP_CREATE, service("s1", "web", 3), 7, true)));
        assertFalse(v.readableAt(0, 0), "half a snapshot is not the store");
        v.accept(message(7, true, event(Op.OP_CREATE, service("s2", "db", 6), 7, true)));
        assertTrue(v.readableAt(7, 0));
        assertEquals(7, v.index());
        assertEquals(Set.of("s1", "s2"), ids(v.list(Kind.KIND_SERVICE, Map.of())));
    }

    @Test
    void readsFilterAsTheStore() {
        StoreView v = live();
        assertEquals(Set.of("s2"), ids(v.list(Kind.KIND_SERVICE, Map.of("name", "db"))));
        assertEquals(Set.of(), ids(v.list(Kind.KIND_SERVICE, Map.of("name", "d"))), "a name is matched whole");
        assertEquals(Set.of("t1", "t2"), ids(v.list(Kind.KIND_TASK, Map.of("service_id", "s1"))));
        assertEquals(Set.of("t1", "t3"), ids(v.list(Kind.KIND_TASK, Map.of("node_id", "n1"))));
        assertEquals(Set.of("t1"), ids(v.list(Kind.KIND_TASK, Map.of("service_id", "s1", "node_id", "n1"))));
        assertEquals(Set.of(), ids(v.list(Kind.KIND_TASK, Map.of("service_id", "nope"))));
        assertEquals("web", v.get(Kind.KIND_SERVICE, "s1").orElseThrow().getService().getSpec().getName());
        assertTrue(v.get(Kind.KIND_TASK, "s1").isEmpty(), "an id is looked up in its own kind");
        assertThrows(IllegalArgumentException.class, () -> v.list(Kind.KIND_TASK, Map.of("colour", "red")));
        assertThrows(IllegalArgumentException.class, () -> v.list(Kind.KIND_SERVICE, Map.of("node_id", "n1")));
    }

    @Test
    void changesAfterTheSnapshotAreApplied() {
        StoreView v = live();
        v.accept(message(8, false,
                event(Op.OP_UPDATE, task("t1", "s1", "n1", TaskState.TASK_SHUTDOWN, 8), 8, false),
                event(Op.OP_CREATE, task("t4", "s1", "n3", TaskState.TASK_RUNNING, 8), 8, false)));
        v.accept(message(9, false, event(Op.OP_DELETE, task("t2", "s1", "n2", TaskState.TASK_RUNNING, 5), 9, false)));
        assertEquals(9, v.index());
        assertEquals(Set.of("t1", "t4"), ids(v.list(Kind.KIND_TASK, Map.of("service_id", "s1"))));
        assertThrows(IllegalArgumentException.class, () -> v.list(Kind.KIND_TASK, Map.of("desired_state", "running")),
                "a filter the gateway does not use is left to the store");
        assertEquals(TaskState.TASK_SHUTDOWN, v.get(Kind.KIND_TASK, "t1").orElseThrow().getTask().getDesiredState());
        assertTrue(v.get(Kind.KIND_TASK, "t2").isEmpty());
        v.accept(message(10, false, event(Op.OP_DELETE, service("s2", "db", 6), 10, false),
                event(Op.OP_DELETE, task("t3", "s2", "n1", TaskState.TASK_RUNNING, 7), 10, false)));
        assertEquals(Set.of(), ids(v.list(Kind.KIND_TASK, Map.of("service_id", "s2"))));
        assertEquals(Set.of("s1"), ids(v.list(Kind.KIND_SERVICE, Map.of())));
    }

    @Test
    void aReadWaitsForTheWriteItFollows() throws Exception {
        StoreView v = live();
        assertFalse(v.readableAt(8, 20), "index 8 has not come");
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> v.readableAt(8, 5_000));
        Thread.sleep(50);
        assertFalse(waiting.isDone());
        v.accept(message(8, false, event(Op.OP_CREATE, task("t4", "s1", "n3", TaskState.TASK_RUNNING, 8), 8, false)));
        assertTrue(waiting.get());
        assertEquals(Set.of("t1", "t2", "t4"), ids(v.list(Kind.KIND_TASK, Map.of("service_id", "s1"))));
    }

    @Test
    void anEndedWatchStopsTheReadsAndANewSnapshotReplacesTheCopy() {
        StoreView v = live();
        v.ended();
        assertFalse(v.readableAt(0, 0));
        v.accept(message(8, false, event(Op.OP_CREATE, service("s3", "late", 8), 8, false)));
        v.restart();
        assertFalse(v.readableAt(0, 0));
        // the store started again (a new swarm's, indexes from 1): only what its snapshot holds is left
        v.accept(message(2, true, event(Op.OP_CREATE, service("s9", "api", 2), 2, true),
                event(Op.OP_CREATE, task("t9", "s9", "n1", TaskState.TASK_RUNNING, 2), 2, true)));
        assertTrue(v.readableAt(2, 0));
        assertEquals(2, v.index());
        assertEquals(Set.of("s9"), ids(v.list(Kind.KIND_SERVICE, Map.of())));
        assertEquals(Set.of("t9"), ids(v.list(Kind.KIND_TASK, Map.of("node_id", "n1"))));
        assertEquals(Set.of(), ids(v.list(Kind.KIND_TASK, Map.of("service_id", "s1"))));
    }
}
