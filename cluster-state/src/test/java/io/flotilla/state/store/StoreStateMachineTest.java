package io.flotilla.state.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.WatchResponse;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreStateMachineTest {
    private final AtomicInteger clock = new AtomicInteger(1000);
    private final AtomicInteger ids = new AtomicInteger();
    private final CommandPreparer preparer = new CommandPreparer(clock::incrementAndGet, () -> "id" + ids.incrementAndGet());
    private final StoreStateMachine sm = new StoreStateMachine(new EventLog(1000));

    static StoredObject service(String name) {
        return StoredObject.newBuilder().setService(Service.newBuilder().setSpec(ServiceSpec.newBuilder().setName(name))).build();
    }

    static StoredObject network(String name) {
        return StoredObject.newBuilder().setNetwork(Network.newBuilder().setName(name)).build();
    }

    static StoredObject task(String serviceId, String nodeId, TaskState desired) {
        return StoredObject.newBuilder().setTask(Task.newBuilder().setServiceId(serviceId).setNodeId(nodeId).setDesiredState(desired)).build();
    }

    static Change create(Kind kind, StoredObject o) {
        return Change.newBuilder().setOp(Op.OP_CREATE).setKind(kind).setObject(o).build();
    }

    static Change update(Kind kind, String id, long expected, StoredObject o) {
        return Change.newBuilder().setOp(Op.OP_UPDATE).setKind(kind).setId(id).setExpectedVersion(expected).setObject(o).build();
    }

    static Change delete(Kind kind, String id, long expected) {
        return Change.newBuilder().setOp(Op.OP_DELETE).setKind(kind).setId(id).setExpectedVersion(expected).build();
    }

    ApplyResponse apply(boolean partial, Change... changes) {
        return sm.apply(preparer.prepare(ApplyRequest.newBuilder().setPartial(partial).addAllChanges(List.of(changes)).build()));
    }

    @Test
    void createUpdateDeleteWithVersionsAndIndexes() {
        ApplyResponse r1 = apply(false, create(Kind.KIND_SERVICE, service("web")), create(Kind.KIND_NETWORK, network("front")));
        assertTrue(r1.getApplied());
        assertEquals(1, r1.getIndex());
        String svc = r1.getOutcomes(0).getId();
        assertEquals("id1", svc);
        assertEquals(1, r1.getOutcomes(0).getCurrentVersion());
        StoredObject stored = sm.get(Kind.KIND_SERVICE, svc).orElseThrow();
        assertEquals(1, StoredObjects.version(stored));
        assertEquals(svc, StoredObjects.id(stored));
        long created = stored.getService().getMeta().getCreatedAtMs();
        assertTrue(created > 0);

        ApplyResponse r2 = apply(false, update(Kind.KIND_SERVICE, svc, 1, service("web2")));
        assertEquals(ChangeResult.RESULT_OK, r2.getOutcomes(0).getResult());
        assertEquals(2, r2.getIndex());
        StoredObject updated = sm.get(Kind.KIND_SERVICE, svc).orElseThrow();
        assertEquals(2, StoredObjects.version(updated));
        assertEquals("web2", updated.getService().getSpec().getName());
        assertEquals(created, updated.getService().getMeta().getCreatedAtMs(), "created_at survives an update");
        assertTrue(updated.getService().getMeta().getUpdatedAtMs() > created);

        ApplyResponse r3 = apply(false, delete(Kind.KIND_SERVICE, svc, 2));
        assertEquals(ChangeResult.RESULT_OK, r3.getOutcomes(0).getResult());
        assertEquals(3, sm.index());
        assertTrue(sm.get(Kind.KIND_SERVICE, svc).isEmpty());
        // the name is free again
        assertTrue(apply(false, create(Kind.KIND_SERVICE, service("web2"))).getApplied());
    }

    @Test
    void staleVersionRejectsTheWholeAllOrNothingBatch() {
        String a = apply(false, create(Kind.KIND_SERVICE, service("a"))).getOutcomes(0).getId();
        String b = apply(false, create(Kind.KIND_SERVICE, service("b"))).getOutcomes(0).getId();
        long index = sm.index();
        ApplyResponse r = apply(false,
                update(Kind.KIND_SERVICE, a, 1, service("a-renamed")),
                update(Kind.KIND_SERVICE, b, 1, service("b-renamed")), // stale: b is at 2
                create(Kind.KIND_NETWORK, network("n")));
        assertFalse(r.getApplied());
        assertEquals(index, r.getIndex(), "a batch that applies nothing consumes no index");
        assertEquals(ChangeResult.RESULT_ABORTED, r.getOutcomes(0).getResult());
        assertEquals(ChangeResult.RESULT_CONFLICT, r.getOutcomes(1).getResult());
        assertEquals(2, r.getOutcomes(1).getCurrentVersion());
        assertEquals(ChangeResult.RESULT_ABORTED, r.getOutcomes(2).getResult());
        assertEquals("a", sm.get(Kind.KIND_SERVICE, a).orElseThrow().getService().getSpec().getName());
        assertEquals("b", sm.get(Kind.KIND_SERVICE, b).orElseThrow().getService().getSpec().getName());
        assertEquals(0, sm.size(Kind.KIND_NETWORK));
        assertEquals(index, sm.index());
    }

    @Test
    void partialBatchAppliesEachChangeOnItsOwn() {
        String a = apply(false, create(Kind.KIND_SERVICE, service("a"))).getOutcomes(0).getId();
        ApplyResponse r = apply(true,
                update(Kind.KIND_SERVICE, a, 7, service("stale")),
                create(Kind.KIND_NETWORK, network("n")),
                delete(Kind.KIND_TASK, "nope", 3));
        assertTrue(r.getApplied());
        assertEquals(2, r.getIndex());
        assertEquals(ChangeResult.RESULT_CONFLICT, r.getOutcomes(0).getResult());
        assertEquals(1, r.getOutcomes(0).getCurrentVersion());
        assertEquals(ChangeResult.RESULT_OK, r.getOutcomes(1).getResult());
        assertEquals(ChangeResult.RESULT_NOT_FOUND, r.getOutcomes(2).getResult());
        assertEquals(2, StoredObjects.version(sm.get(Kind.KIND_NETWORK, r.getOutcomes(1).getId()).orElseThrow()));
        assertEquals(1, StoredObjects.version(sm.get(Kind.KIND_SERVICE, a).orElseThrow()));
    }

    @Test
    void namesAreUniquePerKindAlsoWithinABatch() {
        apply(false, create(Kind.KIND_SERVICE, service("web")));
        ApplyResponse r = apply(false, create(Kind.KIND_SERVICE, service("web")));
        assertEquals(ChangeResult.RESULT_NAME_CONFLICT, r.getOutcomes(0).getResult());
        // a network may share a service's name
        assertTrue(apply(false, create(Kind.KIND_NETWORK, network("web"))).getApplied());
        ApplyResponse same = apply(true, create(Kind.KIND_NETWORK, network("x")), create(Kind.KIND_NETWORK, network("x")));
        assertEquals(ChangeResult.RESULT_OK, same.getOutcomes(0).getResult());
        assertEquals(ChangeResult.RESULT_NAME_CONFLICT, same.getOutcomes(1).getResult());
        ApplyResponse dup = sm.apply(ApplyRequest.newBuilder().addChanges(create(Kind.KIND_SERVICE, service("z")).toBuilder().setId("fixed"))
                .build());
        assertTrue(dup.getApplied());
        ApplyResponse again = sm.apply(ApplyRequest.newBuilder().addChanges(create(Kind.KIND_SERVICE, service("y")).toBuilder().setId("fixed"))
                .build());
        assertEquals(ChangeResult.RESULT_ALREADY_EXISTS, again.getOutcomes(0).getResult());
    }

    @Test
    void malformedChangesAreRefusedBeforeProposalAndByTheMachine() {
        StoreException e = assertThrows(StoreException.class, () -> preparer.prepare(ApplyRequest.newBuilder()
                .addChanges(create(Kind.KIND_UNSPECIFIED, service("a"))).build()));
        assertEquals(StoreException.Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("unknown object kind"), e.getMessage());
        e = assertThrows(StoreException.class, () -> preparer.prepare(ApplyRequest.newBuilder()
                .addChanges(create(Kind.KIND_NETWORK, service("a"))).build()));
        assertTrue(e.getMessage().contains("but the object is a KIND_SERVICE"), e.getMessage());
        e = assertThrows(StoreException.class, () -> preparer.prepare(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_TASK)).build()));
        assertTrue(e.getMessage().contains("missing object"), e.getMessage());
        // the machine itself refuses a kind mismatch that skipped the preparer, and changes nothing
        ApplyResponse r = sm.apply(ApplyRequest.newBuilder().addChanges(create(Kind.KIND_NETWORK, service("a")).toBuilder().setId("x")).build());
        assertEquals(ChangeResult.RESULT_INVALID, r.getOutcomes(0).getResult());
        assertEquals(0, sm.index());
    }

    @Test
    void theMachineRefusesWhatThePreparerWouldHaveAndNeverThrows() {
        // commands that skipped the preparer (an older member's log, a bug): refused as outcomes, no index taken
        ApplyResponse r = sm.apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKindValue(42).setId("k")
                        .setObject(service("k")))
                .addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_TASK).setId("no-object"))
                .addChanges(Change.newBuilder().setOpValue(9).setKind(Kind.KIND_SERVICE).setId("op").setObject(service("op")))
                .addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_SERVICE).setObject(service("no-id")))
                .setPartial(true).build());
        assertFalse(r.getApplied());
        assertEquals(4, r.getOutcomesCount());
        for (var o : r.getOutcomesList()) {
            assertEquals(ChangeResult.RESULT_INVALID, o.getResult(), o.getMessage());
        }
        assertTrue(r.getOutcomes(0).getMessage().contains("unknown object kind 42"), r.getOutcomes(0).getMessage());
        assertEquals(0, sm.index());
        for (Kind k : StoreStateMachine.kinds()) {
            assertEquals(0, sm.size(k));
        }
    }

    @Test
    void listFilters() {
        String s1 = apply(false, create(Kind.KIND_SERVICE, service("a"))).getOutcomes(0).getId();
        apply(false, create(Kind.KIND_TASK, task(s1, "n1", TaskState.TASK_RUNNING)),
                create(Kind.KIND_TASK, task(s1, "n2", TaskState.TASK_SHUTDOWN)),
                create(Kind.KIND_TASK, task("other", "n1", TaskState.TASK_RUNNING)));
        assertEquals(2, sm.list(Kind.KIND_TASK, ListFilters.of(Kind.KIND_TASK, Map.of("service_id", s1))).objects().size());
        assertEquals(1, sm.list(Kind.KIND_TASK, ListFilters.of(Kind.KIND_TASK, Map.of("service_id", s1, "desired_state", "running"))).objects().size());
        assertEquals(2, sm.list(Kind.KIND_TASK, ListFilters.of(Kind.KIND_TASK, Map.of("node_id", "n1"))).objects().size());
        assertEquals(1, sm.list(Kind.KIND_SERVICE, ListFilters.of(Kind.KIND_SERVICE, Map.of("name", "a"))).objects().size());
        assertThrows(StoreException.class, () -> ListFilters.of(Kind.KIND_SERVICE, Map.of("node_id", "x")));
        assertThrows(StoreException.class, () -> ListFilters.of(Kind.KIND_TASK, Map.of("colour", "x")));
    }

    @Test
    void snapshotWriteReadGivesIdenticalState() throws Exception {
        String s = apply(false, create(Kind.KIND_SERVICE, service("a")), create(Kind.KIND_NETWORK, network("n"))).getOutcomes(0).getId();
        apply(false, update(Kind.KIND_SERVICE, s, 1, service("b")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        sm.writeSnapshot(new DataOutputStream(bytes));
        StoreStateMachine copy = new StoreStateMachine(new EventLog(1000));
        copy.readSnapshot(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(sm.index(), copy.index());
        for (Kind k : StoreStateMachine.kinds()) {
            assertEquals(Set.copyOf(sm.list(k, o -> true).objects()), Set.copyOf(copy.list(k, o -> true).objects()));
        }
        // names are restored: the same name conflicts on the copy, and the next index follows on
        ApplyResponse r = copy.apply(preparer.prepare(ApplyRequest.newBuilder().addChanges(create(Kind.KIND_SERVICE, service("b"))).build()));
        assertEquals(ChangeResult.RESULT_NAME_CONFLICT, r.getOutcomes(0).getResult());
        r = copy.apply(preparer.prepare(ApplyRequest.newBuilder().addChanges(create(Kind.KIND_SERVICE, service("c"))).build()));
        assertEquals(3, r.getIndex());
    }

    @Test
    void watchGivesSnapshotThenEveryChangeInOrderWithoutGaps() throws Exception {
        apply(false, create(Kind.KIND_SERVICE, service("s0")));
        for (int i = 0; i < 700; i++) {
            apply(false, create(Kind.KIND_TASK, task("s", "n", TaskState.TASK_RUNNING)));
        }
        WatchHub hub = new WatchHub(sm, Executors.newCachedThreadPool());
        List<WatchResponse> seen = new CopyOnWriteArrayList<>();
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 300; i++) {
                apply(false, create(Kind.KIND_TASK, task("s", "n", TaskState.TASK_RUNNING)));
            }
        });
        writer.start();
        StateStore.Watch w = hub.open(Set.of(Kind.KIND_TASK), 0, seen::add, t -> { });
        writer.join();
        long deadline = System.currentTimeMillis() + 60_000; // generous: CI machines can be loaded
        // until the snapshot is complete and the last change arrived (a snapshot's first chunk already
        // carries the index of a watch opened after the last write)
        while (System.currentTimeMillis() < deadline && (seen.stream().noneMatch(WatchResponse::getSnapshotComplete)
                || seen.get(seen.size() - 1).getIndex() < sm.index())) {
            Thread.sleep(10);
        }
        w.close();
        int snapshotEnd = -1;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < seen.size(); i++) {
            if (seen.get(i).getSnapshotComplete()) {
                snapshotEnd = i;
                break;
            }
        }
        assertTrue(snapshotEnd >= 1, "the snapshot of 700+ tasks comes in more than one message");
        long snapshotIndex = seen.get(snapshotEnd).getIndex();
        for (int i = 0; i <= snapshotEnd; i++) {
            for (StateEvent e : seen.get(i).getEventsList()) {
                assertTrue(e.getSnapshot());
                assertEquals(Kind.KIND_TASK, e.getKind());
                ids.add(e.getId());
            }
        }
        long expected = snapshotIndex + 1;
        for (int i = snapshotEnd + 1; i < seen.size(); i++) {
            assertEquals(expected, seen.get(i).getIndex(), "no gap, no reordering");
            for (StateEvent e : seen.get(i).getEventsList()) {
                assertFalse(e.getSnapshot());
                ids.add(e.getId());
            }
            expected++;
        }
        assertEquals(sm.index() + 1, expected);
        assertEquals(1000, ids.size());
        assertEquals(1000, Set.copyOf(ids).size(), "every task exactly once");

        // from an index in the history: exactly the later batches
        List<WatchResponse> later = new CopyOnWriteArrayList<>();
        StateStore.Watch w2 = hub.open(Set.of(), sm.index() - 5, later::add, t -> { });
        deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline && later.size() < 5) {
            Thread.sleep(10);
        }
        w2.close();
        assertEquals(5, later.size());
        assertEquals(sm.index() - 4, later.get(0).getIndex());
        // older than the history kept (1000 events): refused
        for (int i = 0; i < 10; i++) {
            apply(false, create(Kind.KIND_TASK, task("s", "n", TaskState.TASK_RUNNING)));
        }
        StoreException e = assertThrows(StoreException.class, () -> hub.open(Set.of(), 1, r -> { }, t -> { }));
        assertEquals(StoreException.Reason.FAILED_PRECONDITION, e.reason());
    }
}
