package io.flotilla.scheduler.loop;

import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Task;
import io.flotilla.scheduler.harness.Harness;
import io.flotilla.scheduler.orchestrator.Orchestrator;
import io.flotilla.scheduler.placement.TaskScheduler;
import io.flotilla.scheduler.state.ClusterView;
import io.flotilla.scheduler.state.TaskStates;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two schedulers (own views, own threads) on one store: CAS and deterministic ids keep them safe. */
class TwoSchedulersRaceTest {

    @Test
    void noTaskAssignedTwiceAndNoSlotWithTwoWantedTasks() throws Exception {
        Harness h = new Harness(); // used only to seed the store; its own loop never runs
        for (int i = 0; i < 20; i++) {
            h.node("n" + i, i < 3 ? NodeRole.ROLE_MANAGER : NodeRole.ROLE_WORKER);
        }
        ControlLoop a = newLoop(h, new ControlLoop.Options(1, 1000, 1, 10, 200));
        // b sends its plans in batches of 16, four at a time
        ControlLoop b = newLoop(h, new ControlLoop.Options(1, 16, 1, 10, 200, 4));
        a.load(h.store.list(), h.store.index());
        b.load(h.store.list(), h.store.index());
        a.start("scheduler-a");
        b.start("scheduler-b");
        try {
            String[] services = new String[10];
            for (int i = 0; i < services.length; i++) {
                services[i] = h.service("s" + i, 50);
            }
            h.updateService(services[0], s -> s.setSpec(s.getSpec().toBuilder().setReplicated(ReplicatedMode.newBuilder().setReplicas(80))));
            long deadline = System.currentTimeMillis() + 20_000;
            while (System.currentTimeMillis() < deadline && !converged(h, services)) {
                Thread.sleep(20);
            }
            Thread.sleep(200);
            assertTrue(converged(h, services), "both loops converged");
            for (Map.Entry<String, Integer> e : h.store.assignments().entrySet()) {
                assertEquals(1, e.getValue(), "task " + e.getKey() + " assigned once");
            }
            Map<String, Integer> wantedPerSlot = new HashMap<>();
            for (Task t : h.store.tasks()) {
                if (TaskStates.wanted(t)) {
                    wantedPerSlot.merge(t.getServiceId() + "/" + t.getSlot(), 1, Integer::sum);
                }
            }
            assertEquals(80 + 9 * 50, wantedPerSlot.size());
            assertTrue(wantedPerSlot.values().stream().allMatch(n -> n == 1), "one wanted task per slot");
            assertTrue(a.changesRejected() + b.changesRejected() > 0, "the loops did race");
        } finally {
            a.close();
            b.close();
        }
    }

    private static boolean converged(Harness h, String[] services) {
        List<Task> tasks = h.store.tasks();
        long assigned = tasks.stream().filter(t -> TaskStates.wanted(t) && !t.getNodeId().isEmpty()).count();
        return assigned == 80 + 9 * 50;
    }

    private static ControlLoop newLoop(Harness h, ControlLoop.Options options) {
        ControlLoop loop = new ControlLoop(new ClusterView(), new Orchestrator(), new TaskScheduler(), h.store,
                System::currentTimeMillis, options);
        h.store.subscribe(loop::submit);
        return loop;
    }
}
