package io.flotilla.scheduler.state;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.scheduler.placement.NodeTable;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scheduler's in-memory copy of nodes, services and tasks, fed by state events and by the outcomes of
 * its own writes. Per object it keeps the highest version seen, so a repeated or late event never moves an
 * object back; a deletion leaves a tombstone until the event stream has passed its index.
 * Single-threaded: only the control loop's worker touches it.
 */
public final class ClusterView {
    /** Key of the scheduling pass in the work queue (every other key is a service id). */
    public static final String SCHEDULE_KEY = "#schedule";

    private final Map<String, Node> nodes = new HashMap<>();
    private final Map<String, Service> services = new HashMap<>();
    private final Map<String, Task> tasks = new HashMap<>();
    private final Map<String, Set<String>> tasksByService = new HashMap<>();
    private final Map<String, Set<String>> tasksByNode = new HashMap<>();
    private final Set<String> awaitingPlacement = new LinkedHashSet<>();
    private final Map<String, Long> tombstones = new HashMap<>();
    private final NodeTable nodeTable = new NodeTable();
    private Cluster cluster;
    private long index;

    public long index() {
        return index;
    }

    public Collection<Node> nodes() {
        return Collections.unmodifiableCollection(nodes.values());
    }

    public Node node(String id) {
        return nodes.get(id);
    }

    /** What the tasks held here use of each node, kept as nodes and tasks change (the scheduler's input). */
    public NodeTable nodeTable() {
        return nodeTable;
    }

    public Collection<Service> services() {
        return Collections.unmodifiableCollection(services.values());
    }

    public Service service(String id) {
        return services.get(id);
    }

    public Task task(String id) {
        return tasks.get(id);
    }

    public int taskCount() {
        return tasks.size();
    }

    public Collection<Task> tasks() {
        return Collections.unmodifiableCollection(tasks.values());
    }

    public List<Task> tasksOfService(String serviceId) {
        Set<String> ids = tasksByService.get(serviceId);
        if (ids == null) {
            return List.of();
        }
        List<Task> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            out.add(tasks.get(id));
        }
        return out;
    }

    public List<Task> tasksOnNode(String nodeId) {
        Set<String> ids = tasksByNode.get(nodeId);
        if (ids == null) {
            return List.of();
        }
        List<Task> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            out.add(tasks.get(id));
        }
        return out;
    }

    /** Ids of the service ids that have tasks in the view (including services already deleted). */
    public Set<String> serviceIdsWithTasks() {
        return Collections.unmodifiableSet(tasksByService.keySet());
    }

    /** Tasks that want to run and have not been placed yet, in arrival order. */
    public List<Task> tasksAwaitingPlacement() {
        List<Task> out = new ArrayList<>(awaitingPlacement.size());
        for (String id : awaitingPlacement) {
            out.add(tasks.get(id));
        }
        return out;
    }

    public int historyLimit() {
        int limit = cluster == null ? 0 : cluster.getSettings().getTaskHistoryLimit();
        return limit > 0 ? limit : 5;
    }

    /**
     * Applies one state event; returns the work-queue keys it makes dirty (empty if the event was old
     * or repeated).
     */
    public Set<String> apply(StateEvent e) {
        index = Math.max(index, e.getIndex());
        if (!tombstones.isEmpty()) {
            tombstones.values().removeIf(i -> i <= index && i < e.getIndex());
        }
        long version = e.getVersion() > 0 ? e.getVersion() : e.getIndex();
        if (e.getOp() == Op.OP_DELETE) {
            return delete(e.getKind(), e.getId(), Math.max(version, e.getIndex()));
        }
        return upsert(e.getObject(), version);
    }

    /**
     * As {@link #apply(StateEvent)}, decoding the event's object only when the view does not hold that version
     * of it yet (an own write coming back, already recorded with the version the store returned, is not decoded).
     */
    public Set<String> apply(EncodedEvent e) {
        if (e.op() != Op.OP_DELETE_VALUE && e.version() > 0 && holds(e.kind(), e.id(), e.version())) {
            index = Math.max(index, e.index());
            return Set.of();
        }
        return apply(e.decode());
    }

    /** Whether an upsert of the object at this version would be dropped as stale (see {@link #upsert}). */
    private boolean holds(int kind, String id, long version) {
        Meta current;
        if (kind == Kind.KIND_TASK_VALUE) {
            Task t = tasks.get(id);
            current = t == null ? null : t.getMeta();
        } else if (kind == Kind.KIND_SERVICE_VALUE) {
            Service s = services.get(id);
            current = s == null ? null : s.getMeta();
        } else if (kind == Kind.KIND_NODE_VALUE) {
            Node n = nodes.get(id);
            current = n == null ? null : n.getMeta();
        } else {
            return false;
        }
        return stale(id, current == null ? -1 : current.getVersion(), version);
    }

    /**
     * Records an object as written by this process (the version the store returned), or as listed
     * ({@code version} 0: the object's own meta version stays, so that updates built from it carry it).
     */
    public Set<String> upsert(StoredObject o, long version) {
        switch (o.getObjectCase()) {
            case NODE: {
                Node n = o.getNode();
                String id = n.getMeta().getId();
                if (stale(id, nodes.get(id) == null ? -1 : nodes.get(id).getMeta().getVersion(), version)) {
                    return Set.of();
                }
                Node stored = n.toBuilder().setMeta(n.getMeta().toBuilder().setVersion(version != 0 ? version : n.getMeta().getVersion())).build();
                nodes.put(id, stored);
                nodeTable.putNode(stored);
                return keysForNode(id);
            }
            case SERVICE: {
                Service s = o.getService();
                String id = s.getMeta().getId();
                if (stale(id, services.get(id) == null ? -1 : services.get(id).getMeta().getVersion(), version)) {
                    return Set.of();
                }
                services.put(id, s.toBuilder().setMeta(s.getMeta().toBuilder().setVersion(version != 0 ? version : s.getMeta().getVersion())).build());
                return Set.of(id, SCHEDULE_KEY);
            }
            case TASK: {
                Task t = o.getTask();
                String id = t.getMeta().getId();
                Task old = tasks.get(id);
                if (stale(id, old == null ? -1 : old.getMeta().getVersion(), version)) {
                    return Set.of();
                }
                Task stored = t.toBuilder().setMeta(t.getMeta().toBuilder().setVersion(version != 0 ? version : t.getMeta().getVersion())).build();
                if (old != null) {
                    unindex(old);
                }
                tasks.put(id, stored);
                index(stored);
                if (failedNow(old, stored)) {
                    nodeTable.taskFailed(stored, stored.getStatus().getTimestampMs());
                }
                Set<String> keys = new HashSet<>(4);
                keys.add(stored.getServiceId());
                if (old != null && !old.getServiceId().equals(stored.getServiceId())) {
                    keys.add(old.getServiceId());
                }
                keys.add(SCHEDULE_KEY);
                return keys;
            }
            case CLUSTER: {
                Cluster c = o.getCluster();
                if (cluster == null || cluster.getMeta().getVersion() < version) {
                    cluster = c;
                }
                return Set.of();
            }
            default:
                return Set.of();
        }
    }

    /** Records a deletion (from an event, or from this process's own write at the given index). */
    public Set<String> delete(Kind kind, String id, long atIndex) {
        switch (kind) {
            case KIND_NODE: {
                Node old = nodes.get(id);
                if (old != null && old.getMeta().getVersion() > atIndex) {
                    return Set.of();
                }
                tombstones.put(id, atIndex);
                Set<String> keys = keysForNode(id);
                nodes.remove(id);
                nodeTable.removeNode(id);
                return keys;
            }
            case KIND_SERVICE: {
                Service old = services.get(id);
                if (old != null && old.getMeta().getVersion() > atIndex) {
                    return Set.of();
                }
                tombstones.put(id, atIndex);
                services.remove(id);
                return Set.of(id, SCHEDULE_KEY);
            }
            case KIND_TASK: {
                Task old = tasks.get(id);
                if (old != null && old.getMeta().getVersion() > atIndex) {
                    return Set.of();
                }
                tombstones.put(id, atIndex);
                if (old == null) {
                    return Set.of();
                }
                unindex(old);
                tasks.remove(id);
                return Set.of(old.getServiceId(), SCHEDULE_KEY);
            }
            default:
                return Set.of();
        }
    }

    /** Sets the index a full list reflects (events at or below it are already in the view). */
    public void setIndex(long listIndex) {
        index = Math.max(index, listIndex);
    }

    private boolean stale(String id, long current, long version) {
        if (current >= 0 && version != 0 && version <= current) {
            return true;
        }
        Long deletedAt = tombstones.get(id);
        return deletedAt != null && version <= deletedAt;
    }

    private Set<String> keysForNode(String nodeId) {
        Set<String> keys = new HashSet<>();
        keys.add(SCHEDULE_KEY);
        for (Task t : tasksOnNode(nodeId)) {
            keys.add(t.getServiceId());
        }
        for (Service s : services.values()) {
            if (s.getSpec().hasGlobal()) {
                keys.add(s.getMeta().getId());
            }
        }
        return keys;
    }

    /**
     * The task's agent has just reported it failed or rejected on its node (as Swarm, not counted for a global
     * service's task: the scheduler does not choose its node).
     */
    private boolean failedNow(Task old, Task t) {
        TaskState state = t.getStatus().getState();
        if (old == null || old.getStatus().getState() == state || t.getNodeId().isEmpty()
                || state != TaskState.TASK_FAILED && state != TaskState.TASK_REJECTED) {
            return false;
        }
        Service s = services.get(t.getServiceId());
        return s == null || !s.getSpec().hasGlobal();
    }

    private void index(Task t) {
        String id = t.getMeta().getId();
        tasksByService.computeIfAbsent(t.getServiceId(), k -> new LinkedHashSet<>()).add(id);
        if (!t.getNodeId().isEmpty()) {
            tasksByNode.computeIfAbsent(t.getNodeId(), k -> new LinkedHashSet<>()).add(id);
        }
        if (TaskStates.awaitingPlacement(t)) {
            awaitingPlacement.add(id);
        }
        if (TaskStates.holdsNode(t)) {
            nodeTable.addTask(t);
        }
    }

    private void unindex(Task t) {
        String id = t.getMeta().getId();
        Set<String> s = tasksByService.get(t.getServiceId());
        if (s != null && s.remove(id) && s.isEmpty()) {
            tasksByService.remove(t.getServiceId());
        }
        if (!t.getNodeId().isEmpty()) {
            Set<String> n = tasksByNode.get(t.getNodeId());
            if (n != null && n.remove(id) && n.isEmpty()) {
                tasksByNode.remove(t.getNodeId());
            }
        }
        awaitingPlacement.remove(id);
        if (TaskStates.holdsNode(t)) {
            nodeTable.removeTask(t);
        }
    }
}
