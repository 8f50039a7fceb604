package io.flotilla.scheduler.orchestrator;

import io.flotilla.contracts.v1.Endpoint;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.scheduler.placement.Constraint;
import io.flotilla.scheduler.plan.Plan;
import io.flotilla.scheduler.state.ClusterView;
import io.flotilla.scheduler.state.TaskStates;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Desired state to tasks, for one service at a time, level-based: from the view alone it works out what
 * each slot (replicated) or node (global) needs and returns it as a plan. Replicated: slots 1..N each
 * hold one task that is wanted; higher slots are shut down and their ended tasks removed. A task that
 * ended while wanted is shut down and replaced per the restart policy; a task on a node that is down,
 * drained or gone is shut down and replaced at once. History per slot is capped (cluster setting, 5).
 * A deleted service's tasks are shut down, then removed once ended.
 */
public final class Orchestrator {
    public static final String PENDING_MESSAGE = "pending task scheduling";
    private static final Comparator<Task> OLDEST_FIRST = Comparator
            .comparingLong((Task t) -> t.getMeta().getCreatedAtMs())
            .thenComparingLong(t -> t.getRestartAttempt())
            .thenComparing(t -> t.getMeta().getId());

    private final Updater updater = new Updater();

    public Plan reconcile(ClusterView view, String serviceId, long nowMs) {
        Plan plan = new Plan();
        Service service = view.service(serviceId);
        List<Task> tasks = view.tasksOfService(serviceId);
        if (service == null) {
            removeAll(view, tasks, plan, nowMs);
        } else if (service.getSpec().hasGlobal()) {
            reconcileGlobal(view, service, tasks, plan, nowMs);
        } else {
            reconcileReplicated(view, service, tasks, plan, nowMs);
        }
        return plan;
    }

    // ------------------------------------------------------------------ replicated

    private void reconcileReplicated(ClusterView view, Service service, List<Task> tasks, Plan plan, long nowMs) {
        long replicas = service.getSpec().getReplicated().getReplicas();
        TreeMap<Long, List<Task>> bySlot = new TreeMap<>();
        for (Task t : tasks) {
            bySlot.computeIfAbsent(t.getSlot(), k -> new ArrayList<>()).add(t);
        }
        for (long slot = 1; slot <= replicas; slot++) {
            bySlot.computeIfAbsent(slot, k -> new ArrayList<>());
        }
        int limit = view.historyLimit();
        List<Updater.Slot> slots = new ArrayList<>();
        for (Map.Entry<Long, List<Task>> e : bySlot.entrySet()) {
            List<Task> slotTasks = e.getValue();
            slotTasks.sort(OLDEST_FIRST);
            long slot = e.getKey();
            Set<String> touched = new HashSet<>();
            if (slot < 1 || slot > replicas) {
                for (Task t : slotTasks) {
                    if (TaskStates.wanted(t)) {
                        shutdown(t, plan, nowMs);
                    } else if (removable(view, t)) {
                        plan.deleteTask(t);
                    }
                }
                continue;
            }
            Task[] kept = new Task[1];
            Task created = fillSlot(view, service, slotTasks, Long.toString(slot), slot, "", plan, touched, nowMs, kept);
            if (created != null) {
                slotTasks.add(created);
                touched.add(created.getMeta().getId());
            }
            slots.add(new Updater.Slot(Long.toString(slot), slot, "", kept[0], slotTasks));
            pruneHistory(view, slotTasks, limit, touched, plan);
        }
        updater.update(view, service, slots, plan, nowMs);
    }

    // ------------------------------------------------------------------ global

    private void reconcileGlobal(ClusterView view, Service service, List<Task> tasks, Plan plan, long nowMs) {
        TreeMap<String, List<Task>> byNode = new TreeMap<>();
        for (Task t : tasks) {
            byNode.computeIfAbsent(t.getNodeId(), k -> new ArrayList<>()).add(t);
        }
        for (Node n : view.nodes()) {
            byNode.computeIfAbsent(n.getMeta().getId(), k -> new ArrayList<>());
        }
        int limit = view.historyLimit();
        List<Updater.Slot> slots = new ArrayList<>();
        for (Map.Entry<String, List<Task>> e : byNode.entrySet()) {
            String nodeId = e.getKey();
            List<Task> nodeTasks = e.getValue();
            nodeTasks.sort(OLDEST_FIRST);
            Set<String> touched = new HashSet<>();
            Node node = nodeId.isEmpty() ? null : view.node(nodeId);
            if (node == null || !canKeep(node, service)) {
                for (Task t : nodeTasks) {
                    if (TaskStates.wanted(t)) {
                        shutdown(t, plan, nowMs);
                        touched.add(t.getMeta().getId());
                    }
                }
                pruneHistory(view, nodeTasks, node == null ? 0 : limit, touched, plan);
                continue;
            }
            boolean eligible = canStartNew(node, service);
            Task[] kept = new Task[1];
            Task created = eligible
                    ? fillSlot(view, service, nodeTasks, "node:" + nodeId, 0, nodeId, plan, touched, nowMs, kept)
                    : keepOnly(view, nodeTasks, plan, touched, nowMs);
            if (created != null) {
                nodeTasks.add(created);
                touched.add(created.getMeta().getId());
            }
            if (eligible) {
                slots.add(new Updater.Slot("node:" + nodeId, 0, nodeId, kept[0], nodeTasks));
            }
            pruneHistory(view, nodeTasks, limit, touched, plan);
        }
        updater.update(view, service, slots, plan, nowMs);
    }

    /** A node that can keep a global task: present, not down, not drained, constraints hold. */
    private static boolean canKeep(Node node, Service service) {
        return node.getStatus().getState() != NodeState.NODE_DOWN
                && node.getSpec().getAvailability() != NodeAvailability.AVAILABILITY_DRAIN
                && constraintsHold(node, service);
    }

    /** A node that gets a new global task: ready and active. */
    private static boolean canStartNew(Node node, Service service) {
        return node.getStatus().getState() == NodeState.NODE_READY
                && node.getSpec().getAvailability() == NodeAvailability.AVAILABILITY_ACTIVE
                && constraintsHold(node, service);
    }

    static boolean constraintsHold(Node node, Service service) {
        for (String text : service.getSpec().getTask().getPlacement().getConstraintsList()) {
            Optional<Constraint> c = Constraint.parse(text);
            if (c.isEmpty() || !c.get().matches(node)) {
                return false;
            }
        }
        return true;
    }

    /** Paused node: keep what runs, replace nothing. */
    private Task keepOnly(ClusterView view, List<Task> tasks, Plan plan, Set<String> touched, long nowMs) {
        for (Task t : tasks) {
            if (TaskStates.wanted(t) && TaskStates.ended(t)) {
                shutdown(t, plan, nowMs);
                touched.add(t.getMeta().getId());
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ one slot

    /**
     * Makes sure one wanted task fills the slot; returns the task to create, if any (already in the
     * plan). Tasks in the list are oldest first.
     */
    private Task fillSlot(ClusterView view, Service service, List<Task> tasks, String slotKey, long slot,
                          String nodeId, Plan plan, Set<String> touched, long nowMs, Task[] kept) {
        List<Task> live = new ArrayList<>(1);
        Task endedWhileWanted = null;
        boolean displaced = false;
        for (Task t : tasks) {
            if (!TaskStates.wanted(t)) {
                continue;
            }
            if (TaskStates.ended(t)) {
                shutdown(t, plan, nowMs);
                touched.add(t.getMeta().getId());
                endedWhileWanted = t;
            } else if (onLostNode(view, t)) {
                shutdown(t, plan, nowMs);
                touched.add(t.getMeta().getId());
                displaced = true;
            } else {
                live.add(t);
            }
        }
        if (!live.isEmpty()) {
            // keep the most advanced (then newest) one; a duplicate can only come from an old race
            Task keep = live.get(0);
            for (Task t : live) {
                if (t.getStatus().getState().getNumber() >= keep.getStatus().getState().getNumber()) {
                    keep = t;
                }
            }
            for (Task t : live) {
                if (t != keep) {
                    shutdown(t, plan, nowMs);
                    touched.add(t.getMeta().getId());
                }
            }
            kept[0] = keep;
            return null;
        }
        Task newest = tasks.isEmpty() ? null : tasks.get(tasks.size() - 1);
        long attempt = 0;
        if (newest != null) {
            boolean policyApplies = newest == endedWhileWanted
                    || (TaskStates.ended(newest) && TaskStates.endedByItself(newest));
            if (policyApplies && !displaced) {
                RestartPolicies.Decision d = RestartPolicies.decide(
                        service.getSpec().getTask().getRestartPolicy(), newest, nowMs);
                if (!d.restart()) {
                    return null;
                }
                if (d.dueAtMs() > nowMs) {
                    plan.wakeAt(d.dueAtMs());
                    return null;
                }
                attempt = d.attempt();
            } else {
                attempt = newest.getRestartAttempt();
            }
        }
        String predecessor = newest == null ? "" : newest.getMeta().getId();
        // created strictly after its predecessor, so that "newest" stays well defined
        long createdAt = newest == null ? nowMs : Math.max(nowMs, newest.getMeta().getCreatedAtMs() + 1);
        Task created = newTask(service, slot, nodeId, attempt,
                TaskIds.next(service.getMeta().getId(), slotKey, predecessor), createdAt);
        plan.createTask(created);
        return created;
    }

    static Task newTask(Service service, long slot, String nodeId, long attempt, String id, long nowMs) {
        // the spec always the service's current one (the allocation may lag a --publish-add by a moment)
        Endpoint endpoint = service.getEndpoint().toBuilder().setSpec(service.getSpec().getEndpoint()).build();
        return Task.newBuilder()
                .setMeta(Meta.newBuilder().setId(id).setCreatedAtMs(nowMs).setUpdatedAtMs(nowMs))
                .setServiceId(service.getMeta().getId())
                .setServiceName(service.getSpec().getName())
                .setSlot(slot)
                .setNodeId(nodeId)
                .setSpec(service.getSpec().getTask())
                .setSpecVersion(service.getSpecVersion())
                .setDesiredState(TaskState.TASK_RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_PENDING).setTimestampMs(nowMs)
                        .setMessage(PENDING_MESSAGE))
                .setEndpoint(endpoint)
                .setRestartAttempt(attempt)
                .build();
    }

    // ------------------------------------------------------------------ removal and history

    private void removeAll(ClusterView view, List<Task> tasks, Plan plan, long nowMs) {
        for (Task t : tasks) {
            if (TaskStates.wanted(t)) {
                if (t.getNodeId().isEmpty() || onLostNode(view, t) || TaskStates.ended(t)) {
                    plan.deleteTask(t);
                } else {
                    shutdown(t, plan, nowMs);
                }
            } else if (removable(view, t)) {
                plan.deleteTask(t);
            }
        }
    }

    /** Deletes the oldest ended tasks of a slot beyond the history limit. */
    private void pruneHistory(ClusterView view, List<Task> oldestFirst, int limit, Set<String> touched, Plan plan) {
        int excess = oldestFirst.size() - limit;
        for (int i = 0; i < oldestFirst.size() && excess > 0; i++) {
            Task t = oldestFirst.get(i);
            if (!touched.contains(t.getMeta().getId()) && !TaskStates.wanted(t) && removable(view, t)) {
                plan.deleteTask(t);
                excess--;
            }
        }
    }

    /** Unwanted and no longer holding anything: ended, never placed, or on a node that is gone. */
    private static boolean removable(ClusterView view, Task t) {
        return TaskStates.ended(t) || t.getNodeId().isEmpty() || nodeGone(view, t);
    }

    private static boolean nodeGone(ClusterView view, Task t) {
        if (t.getNodeId().isEmpty()) {
            return false;
        }
        Node n = view.node(t.getNodeId());
        return n == null || n.getStatus().getState() == NodeState.NODE_DOWN;
    }

    /** The task's node is down, gone or drained: the task must move. */
    private static boolean onLostNode(ClusterView view, Task t) {
        if (t.getNodeId().isEmpty()) {
            return false;
        }
        Node n = view.node(t.getNodeId());
        return n == null || n.getStatus().getState() == NodeState.NODE_DOWN
                || n.getSpec().getAvailability() == NodeAvailability.AVAILABILITY_DRAIN;
    }

    static void shutdown(Task t, Plan plan, long nowMs) {
        plan.updateTask(t, t.toBuilder().setDesiredState(TaskState.TASK_SHUTDOWN)
                .setMeta(t.getMeta().toBuilder().setUpdatedAtMs(nowMs)).build());
    }
}
