package io.flotilla.state.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.WatchResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.flotilla.state.store.StoreStateMachineTest.create;
import static io.flotilla.state.store.StoreStateMachineTest.service;
import static io.flotilla.state.store.StoreStateMachineTest.task;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Watchers that get the same events of a batch share one message, and so one encoding of it. */
class WatchHubTest {
    private final StoreStateMachine sm = new StoreStateMachine(new EventLog(1000));
    private final CommandPreparer preparer = new CommandPreparer();

    private static List<WatchMessage> await(List<WatchMessage> seen, int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (seen.size() < n && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(n, seen.size());
        return seen;
    }

    @Test
    void watchersOfTheSameEventsShareTheMessageAndItsBytes() throws Exception {
        ExecutorService executor = Executors.newCachedThreadPool();
        try {
            WatchHub hub = new WatchHub(sm, executor);
            List<WatchMessage> tasksA = new CopyOnWriteArrayList<>();
            List<WatchMessage> tasksB = new CopyOnWriteArrayList<>();
            List<WatchMessage> all = new CopyOnWriteArrayList<>();
            List<WatchMessage> services = new CopyOnWriteArrayList<>();
            List<WatchResponse> plain = new CopyOnWriteArrayList<>();
            // from index 0 a watch starts with a snapshot (one message each, of its own)
            hub.openMessages(Set.of(Kind.KIND_TASK), 0, tasksA::add, t -> { });
            hub.openMessages(Set.of(Kind.KIND_TASK), 0, tasksB::add, t -> { });
            hub.openMessages(Set.of(), 0, all::add, t -> { });
            hub.openMessages(Set.of(Kind.KIND_SERVICE), 0, services::add, t -> { });
            hub.open(Set.of(Kind.KIND_TASK, Kind.KIND_NODE), 0, plain::add, t -> { });
            assertNotSame(await(tasksA, 1).get(0), await(tasksB, 1).get(0));

            sm.apply(preparer.prepare(ApplyRequest.newBuilder()
                    .addChanges(create(Kind.KIND_TASK, task("s", "n", TaskState.TASK_RUNNING)))
                    .addChanges(create(Kind.KIND_SERVICE, service("web")))
                    .addChanges(create(Kind.KIND_TASK, task("s", "m", TaskState.TASK_RUNNING))).build()));

            WatchMessage a = await(tasksA, 2).get(1);
            assertSame(a, await(tasksB, 2).get(1), "the same events: one message");
            assertEquals(List.of(Kind.KIND_TASK, Kind.KIND_TASK), a.message().getEventsList().stream().map(StateEvent::getKind).toList());
            assertEquals(1, a.message().getIndex());
            WatchMessage everything = await(all, 2).get(1);
            assertEquals(List.of(Kind.KIND_TASK, Kind.KIND_SERVICE, Kind.KIND_TASK),
                    everything.message().getEventsList().stream().map(StateEvent::getKind).toList());
            assertEquals(List.of(Kind.KIND_SERVICE), await(services, 2).get(1).message().getEventsList().stream().map(StateEvent::getKind).toList());

            assertArrayEquals(a.message().toByteArray(), a.bytes());
            assertSame(a.bytes(), a.bytes(), "encoded once");
            assertEquals(a.message(), WatchResponse.parseFrom(a.bytes()));
            long deadline = System.currentTimeMillis() + 30_000;
            while (plain.size() < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(a.message(), plain.get(1), "a watch of tasks and nodes gets the same events as WatchResponse");
        } finally {
            executor.shutdownNow();
        }
    }
}
