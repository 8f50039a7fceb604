package io.flotilla.state.grpc;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.GetRequest;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.MembersRequest;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.contracts.v1.WatchResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Iterator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Store API on the real gRPC server over a one-member Raft group (temp dir, no Kafka). */
@QuarkusTest
class StoreGrpcServiceTest {

    @GrpcClient("store")
    StoreGrpc.StoreBlockingStub store;

    @jakarta.inject.Inject
    io.flotilla.state.raft.RaftStateStore raftStore;

    @org.junit.jupiter.api.BeforeEach
    void storeStarted() throws Exception {
        // the Raft member joins off the event loop after start-up; a loaded machine may take a while
        raftStore.started().get(60, java.util.concurrent.TimeUnit.SECONDS);
    }

    static Change createNetwork(String name) {
        return Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_NETWORK)
                .setObject(StoredObject.newBuilder().setNetwork(Network.newBuilder().setName(name).setDriver("overlay"))).build();
    }

    @Test
    void applyGetListWatchMembers() throws Exception {
        ApplyResponse r = store.apply(ApplyRequest.newBuilder().addChanges(createNetwork("front")).build());
        assertTrue(r.getApplied());
        String id = r.getOutcomes(0).getId();
        assertEquals(25, id.length());
        assertTrue(id.matches("[0-9a-z]{25}"));
        StoredObject got = store.get(GetRequest.newBuilder().setKind(Kind.KIND_NETWORK).setId(id).setLinearizable(true).build()).getObject();
        assertEquals("front", got.getNetwork().getName());
        assertEquals(r.getIndex(), got.getNetwork().getMeta().getVersion());
        assertEquals(1, store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).putFilters("name", "front").build()).getObjectsCount());

        ApplyResponse dup = store.apply(ApplyRequest.newBuilder().addChanges(createNetwork("front")).build());
        assertFalse(dup.getApplied());
        assertEquals(ChangeResult.RESULT_NAME_CONFLICT, dup.getOutcomes(0).getResult());

        Context.CancellableContext ctx = Context.current().withCancellation();
        try {
            Iterator<WatchResponse> w = ctx.call(() -> store.watch(WatchRequest.newBuilder().addKinds(Kind.KIND_NETWORK).build()));
            WatchResponse first = w.next();
            assertTrue(first.getSnapshotComplete());
            assertTrue(first.getEventsList().stream().anyMatch(e -> e.getId().equals(id) && e.getSnapshot()));
            ApplyResponse second = store.apply(ApplyRequest.newBuilder().addChanges(createNetwork("back")).build());
            WatchResponse next = w.next();
            assertEquals(second.getIndex(), next.getIndex());
            assertEquals(second.getOutcomes(0).getId(), next.getEvents(0).getId());
        } finally {
            ctx.cancel(null);
        }

        MembersResponse m = store.members(MembersRequest.getDefaultInstance());
        assertEquals(m.getSelfId(), m.getLeaderId());
        assertEquals(1, m.getMembersCount());
        assertTrue(m.getMembers(0).getLeader());
    }

    @Test
    void twoWatchersGetTheSameChangeOverTheWire() throws Exception {
        Context.CancellableContext ctx = Context.current().withCancellation();
        try {
            WatchRequest networks = WatchRequest.newBuilder().addKinds(Kind.KIND_NETWORK).build();
            Iterator<WatchResponse> a = ctx.call(() -> store.watch(networks));
            Iterator<WatchResponse> b = ctx.call(() -> store.watch(WatchRequest.newBuilder()
                    .addKinds(Kind.KIND_NETWORK).addKinds(Kind.KIND_SERVICE).build()));
            WatchResponse snapshotA = a.next();
            WatchResponse snapshotB = b.next();
            while (!snapshotA.getSnapshotComplete()) {
                snapshotA = a.next();
            }
            while (!snapshotB.getSnapshotComplete()) {
                snapshotB = b.next();
            }
            ApplyResponse r = store.apply(ApplyRequest.newBuilder().addChanges(createNetwork("shared-" + System.nanoTime())).build());
            WatchResponse seenA = a.next();
            WatchResponse seenB = b.next();
            assertEquals(r.getIndex(), seenA.getIndex());
            assertEquals(r.getOutcomes(0).getId(), seenA.getEvents(0).getId());
            assertEquals(Op.OP_CREATE, seenA.getEvents(0).getOp());
            assertEquals(seenA, seenB);
        } finally {
            ctx.cancel(null);
        }
    }

    @Test
    void aBatchWithAStaleVersionChangesNothingAndNamesTheCurrentVersion() {
        ApplyResponse created = store.apply(ApplyRequest.newBuilder().addChanges(createNetwork("stale-a"))
                .addChanges(createNetwork("stale-b")).build());
        String a = created.getOutcomes(0).getId();
        String b = created.getOutcomes(1).getId();
        ApplyResponse bumped = store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_UPDATE)
                .setKind(Kind.KIND_NETWORK).setId(b).setExpectedVersion(created.getIndex())
                .setObject(createNetwork("stale-b2").getObject())).build());
        assertTrue(bumped.getApplied());
        long indexBefore = store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).setLinearizable(true).build()).getIndex();

        ApplyResponse stale = store.apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_NETWORK).setId(a)
                        .setExpectedVersion(created.getIndex()).setObject(createNetwork("stale-a2").getObject()))
                .addChanges(Change.newBuilder().setOp(Op.OP_DELETE).setKind(Kind.KIND_NETWORK).setId(b)
                        .setExpectedVersion(created.getIndex())) // stale: b was updated since
                .addChanges(createNetwork("stale-c")).build());
        assertFalse(stale.getApplied());
        assertEquals(ChangeResult.RESULT_ABORTED, stale.getOutcomes(0).getResult());
        assertEquals(ChangeResult.RESULT_CONFLICT, stale.getOutcomes(1).getResult());
        assertEquals(bumped.getIndex(), stale.getOutcomes(1).getCurrentVersion(), "the refusal names the current version");
        assertTrue(stale.getOutcomes(1).getMessage().contains("stale"), stale.getOutcomes(1).getMessage());
        assertEquals(ChangeResult.RESULT_ABORTED, stale.getOutcomes(2).getResult());
        assertEquals(indexBefore, store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).setLinearizable(true).build()).getIndex(),
                "a refused batch consumes no index");
        assertEquals("stale-a", store.get(GetRequest.newBuilder().setKind(Kind.KIND_NETWORK).setId(a).build()).getObject().getNetwork().getName());
        assertEquals("stale-b2", store.get(GetRequest.newBuilder().setKind(Kind.KIND_NETWORK).setId(b).build()).getObject().getNetwork().getName());
        assertEquals(0, store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).putFilters("name", "stale-c").build()).getObjectsCount());
    }

    @Test
    void malformedBatchesAreRefusedAsInvalidArgumentAndChangeNothing() {
        long indexBefore = store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).setLinearizable(true).build()).getIndex();
        assertInvalid(ApplyRequest.newBuilder().build(), "at least one change");
        assertInvalid(ApplyRequest.newBuilder().addChanges(createNetwork("k").toBuilder().setKindValue(42)).build(), "unknown object kind 42");
        assertInvalid(ApplyRequest.newBuilder().addChanges(createNetwork("o").toBuilder().setOpValue(9)).build(), "unknown operation 9");
        assertInvalid(ApplyRequest.newBuilder().addChanges(createNetwork("s").toBuilder().setKind(Kind.KIND_SERVICE)).build(),
                "but the object is a KIND_NETWORK");
        assertInvalid(ApplyRequest.newBuilder().addChanges(createNetwork("m").toBuilder().clearObject()).build(), "missing object");
        assertInvalid(ApplyRequest.newBuilder().addChanges(createNetwork("i").toBuilder().setId("Not An Id!")).build(), "malformed id");
        assertInvalid(ApplyRequest.newBuilder().addChanges(createNetwork("").toBuilder()).build(), "needs a name");
        assertInvalid(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_DELETE).setKind(Kind.KIND_NETWORK)
                .setId("x")).build(), "expected_version");
        // one bad change refuses the whole batch before proposal: the good one is not applied either
        assertInvalid(ApplyRequest.newBuilder().addChanges(createNetwork("good-one"))
                .addChanges(createNetwork("bad").toBuilder().setKindValue(42)).build(), "change 1: unknown object kind");
        assertEquals(0, store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).putFilters("name", "good-one").build()).getObjectsCount());
        assertEquals(indexBefore, store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).setLinearizable(true).build()).getIndex());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).putFilters("colour", "red").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> store.get(GetRequest.newBuilder().setKindValue(42).setId("x").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> store.watch(WatchRequest.newBuilder().addKindsValue(42).build()).next());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    private void assertInvalid(ApplyRequest request, String message) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> store.apply(request));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
    }

    @Test
    void badInputIsRefusedWithAClearError() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> store.apply(ApplyRequest.newBuilder()
                .addChanges(createNetwork("x").toBuilder().setKind(Kind.KIND_UNSPECIFIED)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("unknown object kind"), e.getStatus().getDescription());
        assertEquals(0, store.list(ListRequest.newBuilder().setKind(Kind.KIND_NETWORK).putFilters("name", "x").build()).getObjectsCount());
        e = assertThrows(StatusRuntimeException.class, () -> store.get(GetRequest.newBuilder().setKind(Kind.KIND_SERVICE).setId("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }
}
