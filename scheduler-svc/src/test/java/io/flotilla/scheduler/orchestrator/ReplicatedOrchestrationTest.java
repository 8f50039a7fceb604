package io.flotilla.scheduler.orchestrator;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.RestartCondition;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.RestartPolicy;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.scheduler.harness.Harness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicatedOrchestrationTest {
    Harness h;
    String w1;
    String w2;

    @BeforeEach
    void cluster() {
        h = new Harness();
        h.node("manager1", NodeRole.ROLE_MANAGER);
        w1 = h.node("worker1", NodeRole.ROLE_WORKER);
        w2 = h.node("worker2", NodeRole.ROLE_WORKER);
    }

    @Test
    void createsOneAssignedTaskPerSlot() {
        String svc = h.service("web", 3);
        h.converge();
        List<Task> tasks = h.tasks(svc);
        assertEquals(3, tasks.size());
        assertEquals(Set.of(1L, 2L, 3L), tasks.stream().map(Task::getSlot).collect(Collectors.toSet()));
        for (Task t : tasks) {
            assertEquals(TaskState.TASK_RUNNING, t.getDesiredState());
            assertEquals(TaskState.TASK_ASSIGNED, t.getStatus().getState());
            assertEquals("scheduler assigned task to node", t.getStatus().getMessage());
            assertEquals("web", t.getServiceName());
            assertEquals(1, t.getSpecVersion());
            assertEquals("web", t.getSpec().getContainer().getImage());
            assertEquals(25, t.getMeta().getId().length());
        }
        // spread: one per node
        assertEquals(3, tasks.stream().map(Task::getNodeId).distinct().count());
    }

    @Test
    void aNewTaskIsWrittenOnceAlreadyAssignedAndAReplacementToo() {
        List<StateEvent> events = new ArrayList<>();
        h.store.subscribe(e -> {
            if (e.getKind() == Kind.KIND_TASK) {
                events.add(e);
            }
        });
        String svc = h.service("web", 3);
        h.converge();
        assertEquals(3, events.size(), "one write per task");
        for (StateEvent e : events) {
            assertEquals(Op.OP_CREATE, e.getOp());
            assertEquals(TaskState.TASK_ASSIGNED, e.getObject().getTask().getStatus().getState());
            assertNotEquals("", e.getObject().getTask().getNodeId());
        }
        events.clear();
        Task failed = h.slot(svc, 1).get(0);
        h.report(failed.getMeta().getId(), TaskState.TASK_FAILED);
        h.converge();
        List<StateEvent> created = events.stream().filter(e -> e.getOp() == Op.OP_CREATE).toList();
        assertEquals(1, created.size());
        assertEquals(TaskState.TASK_ASSIGNED, created.get(0).getObject().getTask().getStatus().getState());
        assertEquals(1, created.get(0).getObject().getTask().getSlot());
    }

    @Test
    void aNewTaskNoNodeCanTakeIsCreatedPendingWithTheReason() {
        String svc = h.service("web", 1, s -> s.setTask(s.getTask().toBuilder().setPlacement(
                io.flotilla.contracts.v1.Placement.newBuilder().addConstraints("node.hostname==nowhere"))));
        h.converge();
        Task t = h.tasks(svc).get(0);
        assertEquals(TaskState.TASK_PENDING, t.getStatus().getState());
        assertEquals("", t.getNodeId());
        assertEquals("no suitable node (scheduling constraints not satisfied on 3 nodes)", t.getSchedulingMessage());
    }

    @Test
    void scalesUpAndDownFromTheHighestSlot() {
        String svc = h.service("web", 2);
        h.converge();
        h.runAll();
        h.updateService(svc, s -> s.setSpec(s.getSpec().toBuilder().setReplicated(ReplicatedMode.newBuilder().setReplicas(5))));
        h.converge();
        assertEquals(5, h.wanted(svc).size());
        h.runAll();
        h.updateService(svc, s -> s.setSpec(s.getSpec().toBuilder().setReplicated(ReplicatedMode.newBuilder().setReplicas(1))));
        h.converge();
        List<Task> wanted = h.wanted(svc);
        assertEquals(1, wanted.size());
        assertEquals(1, wanted.get(0).getSlot());
        for (long slot = 2; slot <= 5; slot++) {
            for (Task t : h.slot(svc, slot)) {
                assertEquals(TaskState.TASK_SHUTDOWN, t.getDesiredState());
            }
        }
        // once the agents have stopped them, tasks of removed slots are deleted
        for (long slot = 2; slot <= 5; slot++) {
            for (Task t : h.slot(svc, slot)) {
                h.report(t.getMeta().getId(), TaskState.TASK_SHUTDOWN);
            }
        }
        h.converge();
        assertEquals(1, h.tasks(svc).size());
    }

    @Test
    void failedTaskIsReplacedAtOnceAndKeptInHistory() {
        String svc = h.service("web", 1);
        h.converge();
        h.runAll();
        Task first = h.slot(svc, 1).get(0);
        h.now += 50;
        h.report(first.getMeta().getId(), TaskState.TASK_FAILED);
        h.converge();
        List<Task> slot = h.slot(svc, 1);
        assertEquals(2, slot.size());
        Task old = h.store.task(first.getMeta().getId());
        assertEquals(TaskState.TASK_SHUTDOWN, old.getDesiredState());
        assertEquals(TaskState.TASK_FAILED, old.getStatus().getState());
        Task replacement = slot.stream().filter(t -> !t.getMeta().getId().equals(first.getMeta().getId())).findFirst().orElseThrow();
        assertEquals(TaskState.TASK_RUNNING, replacement.getDesiredState());
        assertEquals(TaskState.TASK_ASSIGNED, replacement.getStatus().getState());
        assertEquals(1, replacement.getRestartAttempt());
    }

    @Test
    void slotThatKeepsFailingBacksOffExponentially() {
        String svc = h.service("web", 1);
        h.converge();
        long[] expectedDelays = {0, 100, 200, 400, 800};
        for (long expected : expectedDelays) {
            h.runAll();
            Task live = h.wanted(svc).get(0);
            h.now += 10; // fails quickly, well within the window
            h.report(live.getMeta().getId(), TaskState.TASK_FAILED);
            h.converge();
            if (expected > 0) {
                assertTrue(h.wanted(svc).isEmpty(), "no replacement before " + expected + " ms");
                h.advance(expected - 1);
                assertTrue(h.wanted(svc).isEmpty(), "no replacement before " + expected + " ms");
                h.advance(1);
            }
            assertEquals(1, h.wanted(svc).size(), "replaced after " + expected + " ms");
        }
    }

    @Test
    void backoffIsCappedAndResetsAfterTheTaskRanForTheWindow() {
        assertEquals(5_000, RestartPolicies.delayMs(RestartPolicy.getDefaultInstance(), 30));
        String svc = h.service("web", 1);
        h.converge();
        for (int i = 0; i < 4; i++) {
            h.runAll();
            Task live = h.wanted(svc).get(0);
            h.now += 10;
            h.report(live.getMeta().getId(), TaskState.TASK_FAILED);
            h.advance(5_000);
        }
        h.runAll();
        Task live = h.wanted(svc).get(0);
        assertTrue(live.getRestartAttempt() >= 4);
        h.now += RestartPolicies.DEFAULT_WINDOW_MS + 1; // ran long enough
        h.report(live.getMeta().getId(), TaskState.TASK_FAILED);
        h.converge();
        assertEquals(1, h.wanted(svc).size(), "immediate restart after a long run");
        assertEquals(1, h.wanted(svc).get(0).getRestartAttempt());
    }

    @Test
    void explicitDelayIsHonouredExactly() {
        String svc = h.service("web", 1, s -> s.setTask(s.getTask().toBuilder().setRestartPolicy(
                RestartPolicy.newBuilder().setDelaySet(true).setDelayNs(3_000_000_000L))));
        h.converge();
        h.runAll();
        h.report(h.wanted(svc).get(0).getMeta().getId(), TaskState.TASK_FAILED);
        h.advance(2_999);
        assertTrue(h.wanted(svc).isEmpty());
        h.advance(1);
        assertEquals(1, h.wanted(svc).size());
    }

    @Test
    void restartConditionsAndMaxAttempts() {
        String none = h.service("none", 1, s -> s.setTask(s.getTask().toBuilder().setRestartPolicy(
                RestartPolicy.newBuilder().setCondition(RestartCondition.RESTART_NONE))));
        String onFailure = h.service("onfail", 1, s -> s.setTask(s.getTask().toBuilder().setRestartPolicy(
                RestartPolicy.newBuilder().setCondition(RestartCondition.RESTART_ON_FAILURE))));
        String max = h.service("max", 1, s -> s.setTask(s.getTask().toBuilder().setRestartPolicy(
                RestartPolicy.newBuilder().setMaxAttempts(2))));
        h.converge();
        h.runAll();
        h.report(h.wanted(none).get(0).getMeta().getId(), TaskState.TASK_FAILED);
        h.report(h.wanted(onFailure).get(0).getMeta().getId(), TaskState.TASK_COMPLETE);
        h.converge();
        h.advance(10_000);
        assertTrue(h.wanted(none).isEmpty());
        assertTrue(h.wanted(onFailure).isEmpty());
        assertEquals(TaskState.TASK_SHUTDOWN, h.tasks(none).get(0).getDesiredState());
        for (int i = 0; i < 3; i++) {
            h.runAll();
            if (h.wanted(max).isEmpty()) {
                break;
            }
            h.report(h.wanted(max).get(0).getMeta().getId(), TaskState.TASK_FAILED);
            h.advance(6_000);
        }
        assertTrue(h.wanted(max).isEmpty());
        assertEquals(3, h.tasks(max).size(), "the first run and two restarts");
    }

    @Test
    void historyPerSlotIsCappedAtFive() {
        String svc = h.service("web", 1);
        h.converge();
        for (int i = 0; i < 9; i++) {
            h.runAll();
            h.now += 20_000; // long runs: immediate restarts
            h.report(h.wanted(svc).get(0).getMeta().getId(), TaskState.TASK_FAILED);
            h.converge();
        }
        List<Task> slot = h.slot(svc, 1);
        assertEquals(5, slot.size());
        assertEquals(1, slot.stream().filter(t -> t.getDesiredState() == TaskState.TASK_RUNNING).count());
    }

    @Test
    void drainMovesTasksAndPauseTakesNoNewOnes() {
        String svc = h.service("web", 2, s -> s.setTask(s.getTask().toBuilder().setPlacement(
                io.flotilla.contracts.v1.Placement.newBuilder().addConstraints("node.role==worker"))));
        h.converge();
        h.runAll();
        h.updateNode(w1, n -> n.setSpec(n.getSpec().toBuilder().setAvailability(NodeAvailability.AVAILABILITY_DRAIN)));
        h.converge();
        for (Task t : h.wanted(svc)) {
            assertEquals(w2, t.getNodeId());
        }
        assertEquals(2, h.wanted(svc).size());
        for (Task t : h.tasks(svc)) {
            if (t.getNodeId().equals(w1)) {
                assertEquals(TaskState.TASK_SHUTDOWN, t.getDesiredState());
            }
        }
        h.updateNode(w1, n -> n.setSpec(n.getSpec().toBuilder().setAvailability(NodeAvailability.AVAILABILITY_PAUSE)));
        h.updateService(svc, s -> s.setSpec(s.getSpec().toBuilder().setReplicated(ReplicatedMode.newBuilder().setReplicas(3))));
        h.converge();
        for (Task t : h.wanted(svc)) {
            assertNotEquals(w1, t.getNodeId(), "a paused node gets nothing new");
        }
    }

    @Test
    void nodeDownTasksAreReplacedElsewhere() {
        String svc = h.service("web", 2, s -> s.setTask(s.getTask().toBuilder().setPlacement(
                io.flotilla.contracts.v1.Placement.newBuilder().addConstraints("node.role==worker"))));
        h.converge();
        h.runAll();
        h.updateNode(w2, n -> n.setStatus(n.getStatus().toBuilder().setState(NodeState.NODE_DOWN)));
        h.converge();
        List<Task> wanted = h.wanted(svc);
        assertEquals(2, wanted.size());
        for (Task t : wanted) {
            assertEquals(w1, t.getNodeId());
        }
        assertTrue(h.tasks(svc).stream().anyMatch(t -> t.getNodeId().equals(w2) && t.getDesiredState() == TaskState.TASK_SHUTDOWN));
    }

    @Test
    void deletedServiceTasksAreShutDownThenRemoved() {
        h.node("worker3", NodeRole.ROLE_WORKER, n -> n.setStatus(n.getStatus().toBuilder().setState(NodeState.NODE_DOWN)));
        String svc = h.service("web", 3);
        String pendingOnly = h.service("nowhere", 1, s -> s.setTask(s.getTask().toBuilder().setPlacement(
                io.flotilla.contracts.v1.Placement.newBuilder().addConstraints("node.hostname==nope"))));
        h.converge();
        h.runAll();
        h.deleteService(svc);
        h.deleteService(pendingOnly);
        h.converge();
        assertTrue(h.tasks(pendingOnly).isEmpty(), "never assigned: deleted at once");
        assertEquals(3, h.tasks(svc).size());
        for (Task t : h.tasks(svc)) {
            assertEquals(TaskState.TASK_SHUTDOWN, t.getDesiredState());
            h.report(t.getMeta().getId(), TaskState.TASK_SHUTDOWN);
        }
        h.converge();
        assertTrue(h.tasks(svc).isEmpty());
    }
}
