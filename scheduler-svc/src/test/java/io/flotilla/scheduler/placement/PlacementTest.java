package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.GlobalMode;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.Placement;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.scheduler.harness.Harness;
import io.flotilla.scheduler.state.TaskStates;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementTest {
    Harness h = new Harness();

    private String constrained(String name, long replicas, String... constraints) {
        return h.service(name, replicas, s -> s.setTask(s.getTask().toBuilder().setPlacement(
                Placement.newBuilder().addAllConstraints(List.of(constraints)))));
    }

    private void threeNodes() {
        h.node("manager1", NodeRole.ROLE_MANAGER, n -> n.setSpec(n.getSpec().toBuilder().putLabels("zone", "a")));
        h.node("worker1", NodeRole.ROLE_WORKER, n -> n.setSpec(n.getSpec().toBuilder().putLabels("zone", "b"))
                .setDescription(n.getDescription().toBuilder().putEngineLabels("disk", "ssd")));
        h.node("worker2", NodeRole.ROLE_WORKER, n -> n.setSpec(n.getSpec().toBuilder().putLabels("zone", "b")));
    }

    @Test
    void roleWorkerLandsOnWorkersOnlyAndTwoReplicasSpreadOverBoth() {
        threeNodes();
        String svc = constrained("web", 2, "node.role==worker");
        h.converge();
        Set<String> nodes = h.wanted(svc).stream().map(Task::getNodeId).collect(Collectors.toSet());
        assertEquals(Set.of("node-worker1", "node-worker2"), nodes);
    }

    @Test
    void constraintKeysAndOperators() {
        threeNodes();
        String byHost = constrained("a", 1, "node.hostname==worker2");
        String byId = constrained("b", 1, "node.id==node-manager1");
        String byLabel = constrained("c", 2, "node.labels.zone!=a");
        String byEngine = constrained("d", 1, "engine.labels.disk==ssd");
        String notManager = constrained("e", 3, "node.role!=manager");
        h.converge();
        assertEquals("node-worker2", h.wanted(byHost).get(0).getNodeId());
        assertEquals("node-manager1", h.wanted(byId).get(0).getNodeId());
        assertTrue(h.wanted(byLabel).stream().noneMatch(t -> t.getNodeId().equals("node-manager1")));
        assertEquals("node-worker1", h.wanted(byEngine).get(0).getNodeId());
        assertTrue(h.wanted(notManager).stream().noneMatch(t -> t.getNodeId().equals("node-manager1")));
    }

    @Test
    void unschedulableTaskStaysPendingWithSwarmsMessage() {
        threeNodes();
        String svc = constrained("web", 1, "node.labels.zone==c");
        h.converge();
        Task t = h.wanted(svc).get(0);
        assertEquals(TaskState.TASK_PENDING, t.getStatus().getState());
        assertTrue(t.getNodeId().isEmpty());
        assertEquals("no suitable node (scheduling constraints not satisfied on 3 nodes)", t.getSchedulingMessage());
        assertEquals(t.getSchedulingMessage(), t.getStatus().getErr());
        // a matching node arrives: the task is placed
        h.node("worker3", NodeRole.ROLE_WORKER, n -> n.setSpec(n.getSpec().toBuilder().putLabels("zone", "c")));
        h.converge();
        t = h.wanted(svc).get(0);
        assertEquals("node-worker3", t.getNodeId());
        assertEquals("", t.getSchedulingMessage());
    }

    @Test
    void insufficientResourcesAndCombinedMessages() {
        threeNodes(); // 2 CPUs each
        Resources big = Resources.newBuilder().setNanoCpus(3_000_000_000L).build();
        String tooBig = h.service("big", 1, s -> s.setTask(s.getTask().toBuilder().setReservations(big)));
        String combined = h.service("comb", 1, s -> s.setTask(s.getTask().toBuilder().setReservations(big)
                .setPlacement(Placement.newBuilder().addConstraints("node.role==manager"))));
        h.converge();
        assertEquals("no suitable node (insufficient resources on 3 nodes)", h.wanted(tooBig).get(0).getSchedulingMessage());
        // Swarm counts a node at its first failing filter (resources before constraints), most first
        assertEquals("no suitable node (insufficient resources on 3 nodes)", h.wanted(combined).get(0).getSchedulingMessage());
    }

    @Test
    void reservationsFillNodesAndTheRestStayPending() {
        threeNodes();
        Resources one = Resources.newBuilder().setNanoCpus(1_000_000_000L).build();
        String svc = h.service("web", 8, s -> s.setTask(s.getTask().toBuilder().setReservations(one)
                .setPlacement(Placement.newBuilder().addConstraints("node.role==worker"))));
        h.converge();
        List<Task> tasks = h.wanted(svc);
        assertEquals(4, tasks.stream().filter(t -> !t.getNodeId().isEmpty()).count());
        Task pending = tasks.stream().filter(t -> t.getNodeId().isEmpty()).findFirst().orElseThrow();
        assertEquals("no suitable node (insufficient resources on 2 nodes; scheduling constraints not satisfied on 1 node)",
                pending.getSchedulingMessage());
    }

    @Test
    void downAndPausedNodesAreNotAvailable() {
        h.node("a", NodeRole.ROLE_WORKER, n -> n.setStatus(n.getStatus().toBuilder().setState(NodeState.NODE_DOWN)));
        h.node("b", NodeRole.ROLE_WORKER, n -> n.setSpec(n.getSpec().toBuilder().setAvailability(NodeAvailability.AVAILABILITY_PAUSE)));
        h.node("c", NodeRole.ROLE_WORKER, n -> n.setSpec(n.getSpec().toBuilder().setAvailability(NodeAvailability.AVAILABILITY_DRAIN)));
        String svc = h.service("web", 1);
        h.converge();
        assertEquals("no suitable node (3 nodes not available for new tasks)", h.wanted(svc).get(0).getSchedulingMessage());
    }

    @Test
    void hostModePortsConflictPerNode() {
        threeNodes();
        String svc = h.service("web", 4, s -> s.setEndpoint(EndpointSpec.newBuilder().addPorts(PortConfig.newBuilder()
                .setProtocol("tcp").setTargetPort(80).setPublishedPort(8080).setPublishMode(PublishMode.PUBLISH_HOST))));
        h.converge();
        List<Task> tasks = h.wanted(svc);
        assertEquals(3, tasks.stream().map(Task::getNodeId).filter(n -> !n.isEmpty()).distinct().count());
        assertEquals("no suitable node (host-mode port already in use on 3 nodes)",
                tasks.stream().filter(t -> t.getNodeId().isEmpty()).findFirst().orElseThrow().getSchedulingMessage());
    }

    @Test
    void invalidConstraintLeavesTheTaskPendingWithoutCrashing() {
        threeNodes();
        String svc = constrained("web", 1, "node.role=worker");
        String other = h.service("ok", 1);
        h.converge();
        assertEquals("no suitable node (scheduling constraints not satisfied on 3 nodes)",
                h.wanted(svc).get(0).getSchedulingMessage());
        assertFalse(h.wanted(other).get(0).getNodeId().isEmpty());
    }

    @Test
    void spreadPrefersFewestTasksOfTheServiceThenFewestTasks() {
        threeNodes();
        String first = constrained("first", 1, "node.hostname==worker1");
        h.converge();
        String svc = h.service("web", 2);
        h.converge();
        Set<String> nodes = h.wanted(svc).stream().map(Task::getNodeId).collect(Collectors.toSet());
        assertEquals(Set.of("node-manager1", "node-worker2"), nodes, "worker1 already runs a task");
        h.updateService(svc, s -> s.setSpec(s.getSpec().toBuilder().setReplicated(
                io.flotilla.contracts.v1.ReplicatedMode.newBuilder().setReplicas(3))));
        h.converge();
        assertEquals(3, h.wanted(svc).stream().map(Task::getNodeId).distinct().count());
        assertEquals(1, h.wanted(first).size());
    }

    @Test
    void aReplacementGoesToAnotherNodeAsLoadedAsTheOneWhereItsSlotFailed() {
        threeNodes();
        String svc = constrained("web", 3, "node.role==worker");
        h.converge();
        h.runAll();
        List<Task> onWorker1 = h.wanted(svc).stream().filter(t -> t.getNodeId().equals("node-worker1")).toList();
        assertEquals(2, onWorker1.size(), "two on the first worker, one on the other");
        h.report(onWorker1.get(0).getMeta().getId(), TaskState.TASK_FAILED); // one each now: a tie
        h.converge();
        Task replacement = h.slot(svc, onWorker1.get(0).getSlot()).stream().filter(TaskStates::wanted).findFirst().orElseThrow();
        assertEquals("node-worker2", replacement.getNodeId(), "not back to the node that is still taking the dead one apart");
    }

    @Test
    void aNodeWhereTheServiceFailedFiveTimesInFiveMinutesIsTriedLast() {
        threeNodes();
        String svc = constrained("web", 2, "node.role==worker");
        h.converge();
        for (int i = 1; i <= NodeInfo.MAX_FAILURES; i++) {
            h.runAll();
            Task there = h.wanted(svc).stream().filter(t -> t.getNodeId().equals("node-worker1")).findFirst().orElseThrow();
            h.now += 10;
            h.report(there.getMeta().getId(), TaskState.TASK_FAILED);
            h.advance(5_000); // past the restart back-off
            long onWorker1 = h.wanted(svc).stream().filter(t -> t.getNodeId().equals("node-worker1")).count();
            assertEquals(i < NodeInfo.MAX_FAILURES ? 1 : 0, onWorker1, "after failure " + i + ": spread first, until the fifth");
        }
        assertEquals(2, h.wanted(svc).stream().filter(t -> t.getNodeId().equals("node-worker2")).count());
        // five minutes on, the failures are forgotten: spread again
        h.advance(NodeInfo.FAILURE_WINDOW_MS);
        h.updateService(svc, s -> s.setSpec(s.getSpec().toBuilder().setReplicated(
                io.flotilla.contracts.v1.ReplicatedMode.newBuilder().setReplicas(3))));
        h.converge();
        assertEquals(1, h.wanted(svc).stream().filter(t -> t.getNodeId().equals("node-worker1")).count());
    }

    @Test
    void globalModeRunsOnePerEligibleNode() {
        threeNodes();
        String svc = h.service("agent", 0, s -> s.clearReplicated().setGlobal(GlobalMode.getDefaultInstance())
                .setTask(s.getTask().toBuilder().setPlacement(Placement.newBuilder().addConstraints("node.role==worker"))));
        h.converge();
        List<Task> tasks = h.wanted(svc);
        assertEquals(Set.of("node-worker1", "node-worker2"), tasks.stream().map(Task::getNodeId).collect(Collectors.toSet()));
        assertTrue(tasks.stream().allMatch(t -> t.getStatus().getState() == TaskState.TASK_ASSIGNED && t.getSlot() == 0));
        h.runAll();
        h.node("worker3", NodeRole.ROLE_WORKER);
        h.converge();
        assertEquals(3, h.wanted(svc).size());
        h.updateNode("node-worker1", n -> n.setSpec(n.getSpec().toBuilder().setAvailability(NodeAvailability.AVAILABILITY_DRAIN)));
        h.converge();
        assertEquals(Set.of("node-worker2", "node-worker3"),
                h.wanted(svc).stream().map(Task::getNodeId).collect(Collectors.toSet()));
        // a failed global task is restarted on its node
        Task onW2 = h.wanted(svc).stream().filter(t -> t.getNodeId().equals("node-worker2")).findFirst().orElseThrow();
        h.runAll();
        h.report(onW2.getMeta().getId(), TaskState.TASK_FAILED);
        h.converge();
        assertEquals(2, h.wanted(svc).size());
        assertTrue(h.wanted(svc).stream().anyMatch(t -> t.getNodeId().equals("node-worker2")
                && !t.getMeta().getId().equals(onW2.getMeta().getId())));
    }

    @Test
    void constraintParsing() {
        assertTrue(Constraint.parse("node.role == worker").isPresent());
        assertTrue(Constraint.parse("node.labels.Zone!=a").isPresent());
        assertTrue(Constraint.parse("engine.labels.x==y").isPresent());
        assertFalse(Constraint.parse("node.role=worker").isPresent());
        assertFalse(Constraint.parse("node.color==red").isPresent());
        assertFalse(Constraint.parse("node.labels.==x").isPresent());
        assertFalse(Constraint.parse("==x").isPresent());
        assertFalse(Constraint.parse("node.role==").isPresent());
    }
}
