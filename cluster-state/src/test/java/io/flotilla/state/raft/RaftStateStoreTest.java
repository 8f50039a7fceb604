package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.state.store.StoreStateMachine;
import io.flotilla.state.store.StoredObjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real one-member Raft store on disk: writes survive a stop and a start from the same directory. */
class RaftStateStoreTest {

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static RaftStateStore start(Path dir, int port, boolean fsync, long snapshotEvery) throws Exception {
        RaftConfig config = new RaftConfig("m1", RaftConfig.parseMembers("", "m1", "127.0.0.1", port), "127.0.0.1", port,
                "127.0.0.1", dir, fsync, snapshotEvery, 3000);
        RaftStateStore store = new RaftStateStore(config, 100_000);
        store.start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!store.ready() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(store.ready(), "a group of one elects itself");
        return store;
    }

    static ApplyResponse write(RaftStateStore store, Change... changes) throws Exception {
        return store.apply(ApplyRequest.newBuilder().addAllChanges(Arrays.asList(changes)).build())
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    static Change createService(String name) {
        return Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_SERVICE)
                .setObject(StoredObject.newBuilder().setService(Service.newBuilder().setSpec(ServiceSpec.newBuilder().setName(name)))).build();
    }

    static Change createTask(String serviceId) {
        return Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_TASK)
                .setObject(StoredObject.newBuilder().setTask(Task.newBuilder().setServiceId(serviceId))).build();
    }

    static Map<String, StoredObject> dump(StoreStateMachine sm) {
        Map<String, StoredObject> all = new HashMap<>();
        for (Kind k : StoreStateMachine.kinds()) {
            for (StoredObject o : sm.list(k, o -> true).objects()) {
                all.put(StoredObjects.id(o), o);
            }
        }
        return all;
    }

    @Test
    void objectsComeBackWithTheirVersionsAfterARestart(@TempDir Path dir) throws Exception {
        int port = freePort();
        Map<String, StoredObject> before;
        long index;
        // a snapshot every 50 entries: the restart goes through a snapshot and the log after it
        try (RaftStateStore store = start(dir, port, true, 50)) {
            String svc = write(store, createService("web")).getOutcomes(0).getId();
            for (int i = 0; i < 120; i++) {
                ApplyResponse r = write(store, createTask(svc), createTask(svc));
                assertTrue(r.getApplied());
            }
            StoredObject s = store.get(Kind.KIND_SERVICE, svc).orElseThrow();
            ApplyResponse u = write(store, Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_SERVICE).setId(svc)
                    .setExpectedVersion(StoredObjects.version(s)).setObject(s).build());
            assertEquals(ChangeResult.RESULT_OK, u.getOutcomes(0).getResult());
            ApplyResponse stale = write(store, Change.newBuilder().setOp(Op.OP_DELETE).setKind(Kind.KIND_SERVICE).setId(svc)
                    .setExpectedVersion(1).build());
            assertEquals(ChangeResult.RESULT_CONFLICT, stale.getOutcomes(0).getResult());
            before = dump(store.machine());
            index = store.index();
            assertEquals(241, before.size());
            assertEquals(122, index);
        }
        try (RaftStateStore store = start(dir, port, true, 50)) {
            assertEquals(index, store.index());
            assertEquals(before, dump(store.machine()));
            ApplyResponse r = write(store, createService("next"));
            assertEquals(index + 1, r.getIndex());
            assertEquals(index + 1, store.readBarrier().toCompletableFuture().get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void requestsKeptAsReceivedReplayToTheSameObjectsAfterARestart(@TempDir Path dir) throws Exception {
        int port = freePort();
        Map<String, StoredObject> before;
        // no snapshot: the restart replays every entry, preparing each request again from its recorded time and ids
        try (RaftStateStore store = start(dir, port, true, 10_000_000)) {
            ApplyRequest service = ApplyRequest.newBuilder().addChanges(createService("web")).build();
            String svc = store.apply(service, service.toByteArray()).toCompletableFuture().get(5, TimeUnit.SECONDS)
                    .getOutcomes(0).getId();
            for (int i = 0; i < 20; i++) {
                ApplyRequest tasks = ApplyRequest.newBuilder().addChanges(createTask(svc)).addChanges(createTask(svc)).build();
                assertTrue(store.apply(tasks, tasks.toByteArray()).toCompletableFuture().get(5, TimeUnit.SECONDS).getApplied());
            }
            ApplyRequest bad = ApplyRequest.newBuilder().addChanges(createService("web")).build();
            assertEquals(ChangeResult.RESULT_NAME_CONFLICT, store.apply(bad, bad.toByteArray()).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS).getOutcomes(0).getResult());
            before = dump(store.machine());
            assertEquals(41, before.size());
        }
        try (RaftStateStore store = start(dir, port, true, 10_000_000)) {
            assertEquals(before, dump(store.machine()), "same ids, timestamps and versions");
            assertEquals(21, store.index());
        }
    }

    @Test
    void anUndecodableLogEntryChangesNothingAndDoesNotThrow() throws Exception {
        StoreStateMachine sm = new StoreStateMachine();
        RaftCommandMachine machine = new RaftCommandMachine(sm);
        byte[] garbage = {RaftCommandMachine.APPLY, (byte) 0xff, 0x13, 0x07};
        ApplyResponse r = ApplyResponse.parseFrom(machine.apply(garbage, 0, garbage.length, true));
        assertEquals(0, r.getIndex());
        assertEquals(0, r.getOutcomesCount());
        byte[] unknownType = {99, 1, 2};
        assertEquals(0, ApplyResponse.parseFrom(machine.apply(unknownType, 0, unknownType.length, true)).getIndex());
        assertEquals(0, ApplyResponse.parseFrom(machine.apply(new byte[0], 0, 0, true)).getIndex());
        assertEquals(0, sm.index());
        assertTrue(dump(sm).isEmpty());
    }

    /** Figures for the note (printed, not asserted): single-write latency with fsync, and batched throughput. */
    @Test
    void measure(@TempDir Path dir) throws Exception {
        try (RaftStateStore store = start(dir, freePort(), true, 10_000)) {
            int n = 300;
            long[] lat = new long[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                write(store, createTask("s"));
                lat[i] = System.nanoTime() - t0;
            }
            Arrays.sort(lat);
            int batches = 40;
            int size = 500;
            List<java.util.concurrent.CompletableFuture<ApplyResponse>> inflight = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                ApplyRequest.Builder req = ApplyRequest.newBuilder();
                for (int i = 0; i < size; i++) {
                    req.addChanges(createTask("s"));
                }
                inflight.add(store.apply(req.build()).toCompletableFuture());
                if (inflight.size() >= 4) {
                    inflight.remove(0).get(10, TimeUnit.SECONDS);
                }
            }
            for (var f : inflight) {
                f.get(10, TimeUnit.SECONDS);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("STORE-FIGURES one member, fsync: single write p50=%.2f ms p99=%.2f ms; batches of %d: %.0f changes/s%n",
                    lat[n / 2] / 1e6, lat[n * 99 / 100] / 1e6, size, batches * size / secs);
        }
    }
}
