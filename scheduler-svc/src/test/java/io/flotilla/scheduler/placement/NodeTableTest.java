package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.scheduler.harness.Harness;
import io.flotilla.scheduler.state.ClusterView;
import io.flotilla.scheduler.state.TaskStates;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The node table the view keeps across passes holds what a rebuild from the view's nodes and tasks would. */
class NodeTableTest {
    /** The table as it used to be built for each pass: a NodeInfo per node of the view, counting its tasks. */
    private static List<NodeInfo> rebuild(ClusterView view) {
        List<NodeInfo> out = new ArrayList<>();
        for (Node n : view.nodes()) {
            NodeInfo info = new NodeInfo(n);
            for (Task t : view.tasksOnNode(n.getMeta().getId())) {
                if (TaskStates.holdsNode(t)) {
                    info.add(t);
                }
            }
            out.add(info);
        }
        out.sort(Comparator.comparing(NodeInfo::id));
        for (int i = 0; i < out.size(); i++) {
            out.get(i).rank = i;
        }
        return out;
    }

    private static void assertSameAsRebuild(ClusterView view, String step) {
        List<NodeInfo> kept = view.nodeTable().nodes();
        List<NodeInfo> built = rebuild(view);
        assertEquals(built.size(), kept.size(), step);
        for (int i = 0; i < built.size(); i++) {
            assertEquals(built.get(i).id(), kept.get(i).id(), step);
            assertTrue(built.get(i).sameCounts(kept.get(i)), step + ": counts of " + built.get(i).id());
            assertEquals(kept.get(i), view.nodeTable().get(kept.get(i).id()), step);
        }
    }

    private static Node node(String id, long version, boolean ready) {
        return Node.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(version))
                .setStatus(NodeStatus.newBuilder().setState(ready ? NodeState.NODE_READY : NodeState.NODE_DOWN))
                .setDescription(NodeDescription.newBuilder().setResources(Resources.newBuilder()
                        .setNanoCpus(ready ? 4_000_000_000L : 2_000_000_000L).setMemoryBytes(ready ? 8L << 30 : 4L << 30)))
                .build();
    }

    private static final TaskState[] STATES = {TaskState.TASK_PENDING, TaskState.TASK_ASSIGNED, TaskState.TASK_RUNNING,
        TaskState.TASK_FAILED, TaskState.TASK_SHUTDOWN};

    @Test
    void keptThroughNodeAndTaskChangesLikeARebuild() {
        Random random = new Random(42);
        ClusterView view = new ClusterView();
        long version = 1;
        for (int step = 0; step < 3000; step++) {
            int what = random.nextInt(10);
            String nodeId = "n" + random.nextInt(8);
            String taskId = "t" + random.nextInt(60);
            if (what == 0) {
                view.upsert(StoredObject.newBuilder().setNode(node(nodeId, 0, random.nextBoolean())).build(), ++version);
            } else if (what == 1) {
                view.delete(Kind.KIND_NODE, nodeId, ++version);
            } else if (what == 2) {
                view.delete(Kind.KIND_TASK, taskId, ++version);
            } else {
                Task t = Task.newBuilder().setMeta(Meta.newBuilder().setId(taskId))
                        .setServiceId("s" + random.nextInt(3))
                        .setNodeId(random.nextInt(5) == 0 ? "" : nodeId)
                        .setDesiredState(TaskState.TASK_RUNNING)
                        .setStatus(TaskStatus.newBuilder().setState(STATES[random.nextInt(STATES.length)]))
                        .setSpec(TaskSpec.newBuilder().setReservations(Resources.newBuilder()
                                .setNanoCpus(random.nextInt(3) * 1_000_000L).setMemoryBytes(random.nextInt(3) << 20)))
                        .build();
                view.upsert(StoredObject.newBuilder().setTask(t).build(), ++version);
            }
            assertSameAsRebuild(view, "step " + step);
        }
    }

    @Test
    void aNodeDeletedWhileTasksNameItIsNotOfferedAndComesBackWithTheirCounts() {
        ClusterView view = new ClusterView();
        view.upsert(StoredObject.newBuilder().setNode(node("n1", 0, true)).build(), 1);
        view.upsert(StoredObject.newBuilder().setTask(Task.newBuilder().setMeta(Meta.newBuilder().setId("t1"))
                .setServiceId("s").setNodeId("n1").setDesiredState(TaskState.TASK_RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_RUNNING))).build(), 2);
        view.delete(Kind.KIND_NODE, "n1", 3);
        assertNull(view.nodeTable().get("n1"));
        assertEquals(0, view.nodeTable().nodes().size());
        view.upsert(StoredObject.newBuilder().setNode(node("n1", 0, true)).build(), 4);
        assertEquals(1, view.nodeTable().get("n1").tasksOf("s"));
        assertSameAsRebuild(view, "node back");
    }

    @Test
    void aPassPlacementsAreTakenBackAtItsEndAndCountedOnceRecorded() {
        Harness h = new Harness();
        for (int i = 0; i < 5; i++) {
            h.node("worker" + i, NodeRole.ROLE_WORKER);
        }
        String web = h.service("web", 12);
        h.converge();
        assertEquals(12, h.wanted(web).stream().filter(t -> !t.getNodeId().isEmpty()).count());
        assertSameAsRebuild(h.view, "after the create");
        int counted = 0;
        for (NodeInfo info : h.view.nodeTable().nodes()) {
            counted += info.tasksOf(web);
        }
        assertEquals(12, counted);
        h.updateService(web, s -> s.setSpec(s.getSpec().toBuilder().setReplicated(
                s.getSpec().getReplicated().toBuilder().setReplicas(3))));
        h.converge();
        h.runAll();
        h.converge();
        assertSameAsRebuild(h.view, "after the scale down");
    }

    @Test
    void theCheckersANodeThatTakesTasksSkipsPassOnItAndOnlyOnSuchNodes() {
        Task task = Task.newBuilder().setServiceId("s").build();
        for (NodeState state : NodeState.values()) {
            for (NodeAvailability availability : NodeAvailability.values()) {
                if (state == NodeState.UNRECOGNIZED || availability == NodeAvailability.UNRECOGNIZED) {
                    continue;
                }
                NodeInfo info = new NodeInfo(Node.newBuilder().setMeta(Meta.newBuilder().setId("n"))
                        .setStatus(NodeStatus.newBuilder().setState(state))
                        .setSpec(NodeSpec.newBuilder().setAvailability(availability)).build());
                boolean all = true;
                for (NodeChecker c : List.of(new ReadyChecker(), new AvailabilityChecker())) {
                    assertTrue(c.passesWhenNodeTakesTasks());
                    all &= c.check(task, info);
                }
                assertEquals(all, info.takesTasks(), state + "/" + availability);
            }
        }
        for (NodeChecker c : List.of(new ResourceChecker(), new ConstraintChecker(), new HostPortChecker())) {
            assertTrue(!c.passesWhenNodeTakesTasks(), c.getClass().getSimpleName());
        }
    }
}
