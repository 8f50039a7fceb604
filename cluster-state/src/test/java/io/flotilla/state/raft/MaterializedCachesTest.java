package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.state.store.CommandPreparer;
import io.flotilla.state.store.EventLog;
import io.flotilla.state.store.StoreStateMachine;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import java.util.concurrent.ConcurrentMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The manager's materialized state lives in Infinispan caches, one per kind, written by the state machine. */
class MaterializedCachesTest {
    private final CommandPreparer preparer = new CommandPreparer();

    private static Change createService(String name) {
        return Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_SERVICE)
                .setObject(StoredObject.newBuilder().setService(Service.newBuilder().setSpec(ServiceSpec.newBuilder().setName(name)))).build();
    }

    private ApplyResponse apply(StoreStateMachine sm, Change... changes) {
        return sm.apply(preparer.prepare(ApplyRequest.newBuilder().addAllChanges(List.of(changes)).build()));
    }

    @Test
    void committedObjectsAreInTheKindsCacheAndASnapshotReplacesThem() throws Exception {
        try (MaterializedCaches a = new MaterializedCaches("a"); MaterializedCaches b = new MaterializedCaches("b")) {
            StoreStateMachine first = new StoreStateMachine(new EventLog(100), a);
            String web = apply(first, createService("web")).getOutcomes(0).getId();
            String db = apply(first, createService("db")).getOutcomes(0).getId();

            ConcurrentMap<String, StoredObject> services = a.apply(Kind.KIND_SERVICE);
            assertTrue(services instanceof org.infinispan.Cache<?, ?>, "an Infinispan cache holds the services");
            assertEquals(2, services.size());
            assertEquals("web", services.get(web).getService().getSpec().getName());
            assertEquals(2, services.get(db).getService().getMeta().getVersion());
            assertTrue(a.apply(Kind.KIND_TASK).isEmpty());

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            first.writeSnapshot(new DataOutputStream(bytes));
            StoreStateMachine second = new StoreStateMachine(new EventLog(100), b);
            apply(second, createService("stale"));
            second.readSnapshot(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

            ConcurrentMap<String, StoredObject> loaded = b.apply(Kind.KIND_SERVICE);
            assertEquals(new java.util.HashSet<>(services.keySet()), new java.util.HashSet<>(loaded.keySet()), "the snapshot's objects, and only those");
            assertEquals(2, second.index());
        }
    }

    @Test
    void aStoreOnCachesStillStartingIsMadeAtOnceAndItsFirstWriteWaitsForThem() throws Exception {
        java.util.concurrent.CompletableFuture<MaterializedCaches> starting = new java.util.concurrent.CompletableFuture<>();
        StoreStateMachine sm = new StoreStateMachine(new EventLog(100), MaterializedCaches.deferred(starting));
        assertTrue(sm.list(Kind.KIND_SERVICE, o -> true).objects().isEmpty(), "reads before the first write: the empty state");
        assertEquals(0, sm.size(Kind.KIND_TASK));

        java.util.concurrent.CompletableFuture<ApplyResponse> write =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> apply(sm, createService("web")));
        Thread.sleep(200);
        assertFalse(write.isDone(), "the first write waits for the caches");
        try (MaterializedCaches caches = new MaterializedCaches("late")) {
            starting.complete(caches);
            String web = write.get(30, java.util.concurrent.TimeUnit.SECONDS).getOutcomes(0).getId();
            ConcurrentMap<String, StoredObject> services = caches.apply(Kind.KIND_SERVICE);
            assertTrue(services instanceof org.infinispan.Cache<?, ?>);
            assertEquals("web", services.get(web).getService().getSpec().getName());
            assertEquals(1, sm.list(Kind.KIND_SERVICE, o -> true).objects().size());
        }
    }

    @Test
    void startAsyncGivesStartedCaches() throws Exception {
        try (MaterializedCaches caches = MaterializedCaches.startAsync("async").get(60, java.util.concurrent.TimeUnit.SECONDS)) {
            assertTrue(caches.apply(Kind.KIND_NODE) instanceof org.infinispan.Cache<?, ?>);
        }
    }
}
