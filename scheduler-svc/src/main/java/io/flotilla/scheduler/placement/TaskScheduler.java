package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.scheduler.plan.Plan;
import io.flotilla.scheduler.state.ClusterView;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Assigns tasks awaiting placement to nodes. Tasks are grouped by service and spec version; for a group
 * every node goes once through the checker chain (Swarm's order: ready, availability, resources,
 * constraints, host ports; a rejected node is counted at its first failing checker), the feasible ones
 * go into a heap ranked by spread (fewest tasks of this service, then fewest recent failures of its tasks,
 * then fewest tasks, then node id; as Swarm, a node where the service's tasks failed five times in five
 * minutes comes after every node with fewer), and each task takes the head of the heap after re-checking the
 * checkers that depend on placements.
 * Produces a plan; never mutates the view.
 */
public final class TaskScheduler {
    public static final String ASSIGNED_MESSAGE = "scheduler assigned task to node";

    private final List<NodeChecker> chain;
    private long placements;

    public TaskScheduler() {
        this(List.of(new ReadyChecker(), new AvailabilityChecker(), new ResourceChecker(), new ConstraintChecker(),
                new HostPortChecker()));
    }

    public TaskScheduler(List<NodeChecker> chain) {
        this.chain = List.copyOf(chain);
    }

    /** Total tasks this scheduler has planned onto nodes (a metric). */
    public long placements() {
        return placements;
    }

    /** Places the tasks of the view awaiting placement. */
    public Plan schedule(ClusterView view, long nowMs) {
        try {
            return place(view, view.tasksAwaitingPlacement(), nowMs);
        } finally {
            view.nodeTable().endPass();
        }
    }

    /**
     * Places tasks the orchestrator is about to create (not in the store yet: version 0). The plan has one
     * create per task, assigned to a node when one fits (else pending with the reason), so that a new task
     * costs the store one write instead of a create and then an assignment. A task that waits for its
     * network allocation is created as it is. The view's {@link NodeTable} counts what these calls placed
     * (the view does not have those tasks yet) until the caller ends the pass ({@link NodeTable#endPass}),
     * before it records their writes.
     */
    public Plan scheduleNew(ClusterView view, List<Task> created, long nowMs) {
        return place(view, created, nowMs);
    }

    private Plan place(ClusterView view, List<Task> pending, long nowMs) {
        Plan plan = new Plan();
        if (pending.isEmpty()) {
            return plan;
        }
        NodeTable table = view.nodeTable();
        Map<String, List<Task>> groups = new LinkedHashMap<>();
        for (Task t : pending) {
            if (!NetworkAllocation.allocated(t, view.service(t.getServiceId()))) {
                if (isNew(t)) {
                    plan.createTask(t);
                }
                continue; // network-svc has not allocated its addresses yet
            }
            if (!t.getNodeId().isEmpty()) {
                placePreassigned(t, table.get(t.getNodeId()), table, plan, nowMs);
            } else {
                groups.computeIfAbsent(NodeInfo.versionedService(t), k -> new ArrayList<>()).add(t);
            }
        }
        for (Map.Entry<String, List<Task>> group : groups.entrySet()) {
            group.getValue().sort(Comparator.comparingLong(Task::getSlot).thenComparing(t -> t.getMeta().getId()));
            placeGroup(group.getKey(), group.getValue(), table, plan, nowMs);
        }
        return plan;
    }

    /** {@code version}: the group's service version ({@link NodeInfo#versionedService}), its key. */
    private void placeGroup(String version, List<Task> group, NodeTable table, Plan plan, long nowMs) {
        Task first = group.get(0);
        String serviceId = first.getServiceId();
        List<NodeChecker> enabled = new ArrayList<>(chain.size());
        List<NodeChecker> dynamic = new ArrayList<>(2);
        // on a node that is ready and active, the checkers that look at nothing else pass
        List<NodeChecker> onTakingNode = new ArrayList<>(chain.size());
        for (NodeChecker c : chain) {
            if (c.enabled(first)) {
                enabled.add(c);
                if (c.dependsOnPlacements()) {
                    dynamic.add(c);
                }
                if (!c.passesWhenNodeTakesTasks()) {
                    onTakingNode.add(c);
                }
            }
        }
        Map<NodeChecker, Integer> rejected = new LinkedHashMap<>();
        List<NodeInfo> nodes = table.nodes();
        List<Candidate> feasible = new ArrayList<>(nodes.size());
        for (NodeInfo n : nodes) {
            NodeChecker failed = firstFailure(n.takesTasks() ? onTakingNode : enabled, first, n);
            if (failed == null) {
                feasible.add(new Candidate(n, serviceId, n.recentFailures(version, nowMs)));
            } else {
                rejected.merge(failed, 1, Integer::sum);
            }
        }
        PriorityQueue<Candidate> heap = new PriorityQueue<>(feasible);
        for (Task t : group) {
            Candidate chosen = null;
            while (!heap.isEmpty()) {
                Candidate head = heap.poll();
                NodeChecker failed = firstFailure(dynamic, t, head.node);
                if (failed == null) {
                    chosen = head;
                    break;
                }
                rejected.merge(failed, 1, Integer::sum);
            }
            if (chosen == null) {
                markUnschedulable(t, explain(rejected), plan, nowMs);
                continue;
            }
            assign(t, chosen.node, table, plan, nowMs);
            chosen.refresh(serviceId);
            heap.add(chosen);
        }
    }

    /**
     * A feasible node in a group's heap, ranked by spread: fewest tasks of the service, then fewest recent
     * failures of its tasks (a replacement goes to another node as loaded as the one where its slot just failed,
     * whose engine is still taking the dead container apart), then fewest tasks, then node id (its rank among the
     * nodes). A node with {@link NodeInfo#MAX_FAILURES} recent failures comes after every node with fewer,
     * whatever their tasks (Swarm's potentially faulty node). The counts are copied from the NodeInfo and
     * refreshed when a task is placed there, so that comparing costs no map lookups.
     */
    private static final class Candidate implements Comparable<Candidate> {
        final NodeInfo node;
        final int failures;
        int ofService;
        int tasks;

        Candidate(NodeInfo node, String serviceId, int failures) {
            this.node = node;
            this.failures = failures;
            refresh(serviceId);
        }

        void refresh(String serviceId) {
            ofService = node.tasksOf(serviceId);
            tasks = node.tasks();
        }

        @Override
        public int compareTo(Candidate o) {
            if (failures != o.failures && (failures >= NodeInfo.MAX_FAILURES || o.failures >= NodeInfo.MAX_FAILURES)) {
                return Integer.compare(failures, o.failures);
            }
            if (ofService != o.ofService) {
                return Integer.compare(ofService, o.ofService);
            }
            if (failures != o.failures) {
                return Integer.compare(failures, o.failures);
            }
            if (tasks != o.tasks) {
                return Integer.compare(tasks, o.tasks);
            }
            return Integer.compare(node.rank, o.node.rank);
        }
    }

    private void placePreassigned(Task t, NodeInfo node, NodeTable table, Plan plan, long nowMs) {
        if (node == null) {
            markUnschedulable(t, "no suitable node (node not found)", plan, nowMs);
            return;
        }
        List<NodeChecker> enabled = new ArrayList<>();
        for (NodeChecker c : chain) {
            if (c.enabled(t)) {
                enabled.add(c);
            }
        }
        NodeChecker failed = firstFailure(enabled, t, node);
        if (failed != null) {
            markUnschedulable(t, "no suitable node (" + failed.explain(1) + ")", plan, nowMs);
            return;
        }
        assign(t, node, table, plan, nowMs);
    }

    private static NodeChecker firstFailure(List<NodeChecker> checkers, Task t, NodeInfo n) {
        for (NodeChecker c : checkers) {
            if (!c.check(t, n)) {
                return c;
            }
        }
        return null;
    }

    /** Swarm's wording: the reasons by number of nodes, most first, joined with "; ". */
    static String explain(Map<NodeChecker, Integer> rejected) {
        Map<String, Integer> byText = new LinkedHashMap<>();
        Map<String, NodeChecker> checkerOf = new HashMap<>();
        for (Map.Entry<NodeChecker, Integer> e : rejected.entrySet()) {
            String key = e.getKey().explain(1);
            byText.merge(key, e.getValue(), Integer::sum);
            checkerOf.putIfAbsent(key, e.getKey());
        }
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(byText.entrySet());
        entries.sort((a, b) -> Integer.compare(b.getValue(), a.getValue()));
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Integer> e : entries) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append(checkerOf.get(e.getKey()).explain(e.getValue()));
        }
        return sb.length() == 0 ? "no suitable node" : "no suitable node (" + sb + ")";
    }

    private void assign(Task t, NodeInfo node, NodeTable table, Plan plan, long nowMs) {
        Task updated = t.toBuilder()
                .setNodeId(node.id())
                .setSchedulingMessage("")
                .setMeta(t.getMeta().toBuilder().setUpdatedAtMs(nowMs))
                .setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_ASSIGNED).setTimestampMs(nowMs)
                        .setMessage(ASSIGNED_MESSAGE))
                .build();
        write(t, updated, plan);
        table.place(node, updated);
        placements++;
    }

    /** Not in the store yet: the orchestrator's new task, written by a create. */
    private static boolean isNew(Task t) {
        return t.getMeta().getVersion() == 0;
    }

    private static void write(Task read, Task updated, Plan plan) {
        if (isNew(read)) {
            plan.createTask(updated);
        } else {
            plan.updateTask(read, updated);
        }
    }

    private static void markUnschedulable(Task t, String message, Plan plan, long nowMs) {
        if (message.equals(t.getSchedulingMessage()) && t.getStatus().getState() == TaskState.TASK_PENDING && !isNew(t)) {
            return;
        }
        Task updated = t.toBuilder()
                .setSchedulingMessage(message)
                .setMeta(t.getMeta().toBuilder().setUpdatedAtMs(nowMs))
                .setStatus(t.getStatus().toBuilder().setState(TaskState.TASK_PENDING).setTimestampMs(nowMs)
                        .setMessage("pending task scheduling").setErr(message))
                .build();
        write(t, updated, plan);
    }
}
