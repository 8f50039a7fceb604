package io.flotilla.scheduler.loop;

import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.scheduler.harness.Harness;
import io.flotilla.scheduler.orchestrator.Orchestrator;
import io.flotilla.scheduler.placement.TaskScheduler;
import io.flotilla.scheduler.state.ClusterView;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop's debounce gathers bursts; it never holds back work that comes after a quiet spell. */
class QuietSpellTest {

    @Test
    void aFailedTaskAfterAQuietSpellIsReplacedWithoutWaitingForTheDebounce() throws Exception {
        Harness h = new Harness();
        String node = h.node("w1", NodeRole.ROLE_WORKER);
        String svc = h.service("web", 1);
        h.converge();
        h.runAll();
        h.converge();
        Task failed = h.wanted(svc).get(0);
        h.report(failed.getMeta().getId(), TaskState.TASK_FAILED);

        // a loop whose debounce is an hour: its first pass must not wait for it
        ControlLoop loop = new ControlLoop(new ClusterView(), new Orchestrator(), new TaskScheduler(), h.store,
                System::currentTimeMillis, new ControlLoop.Options(3_600_000, 1000, 10, 50, 5_000));
        h.store.subscribe(loop::submit);
        loop.load(h.store.list(), h.store.index());
        loop.start("scheduler-test");
        try {
            long deadline = System.currentTimeMillis() + 15_000; // generous: loaded CI machines
            while (System.currentTimeMillis() < deadline && h.wanted(svc).get(0).getMeta().getId()
                    .equals(failed.getMeta().getId())) {
                Thread.sleep(10);
            }
            List<Task> wanted = h.wanted(svc);
            assertEquals(1, wanted.size());
            Task replacement = wanted.get(0);
            assertFalse(replacement.getMeta().getId().equals(failed.getMeta().getId()), "the failed task was replaced");
            assertEquals(1, replacement.getSlot());
            assertEquals(node, replacement.getNodeId(), "created already assigned");
            assertTrue(h.slot(svc, 1).stream().anyMatch(t -> t.getMeta().getId().equals(failed.getMeta().getId())
                    && t.getDesiredState() == TaskState.TASK_SHUTDOWN), "the failed one is kept, to shut down");
        } finally {
            loop.close();
        }
    }
}
