package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.WatchResponse;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * This manager's view of the tasks placed on nodes, and of the managers' addresses, fed by one watch
 * of the store (snapshot, then every change). {@link #apply} tells which nodes' assignment sets may
 * have changed. Not thread-safe: the dispatcher guards it.
 */
public final class AssignmentIndex {

    private final Map<String, Map<String, Task>> tasksByNode = new HashMap<>();
    private final Map<String, String> nodeOfTask = new HashMap<>();
    private final Map<String, String> managerAddrs = new TreeMap<>();
    /** The status of every READY node (for the managers' watch over nodes whose session manager went away). */
    private final Map<String, NodeStatus> readyNodes = new HashMap<>();
    private long index;
    private boolean ready;

    /** Takes one watch message; returns the ids of the nodes whose assignments may have changed. */
    public Set<String> apply(WatchResponse response) {
        Set<String> touched = new HashSet<>();
        for (StateEvent e : response.getEventsList()) {
            index = Math.max(index, e.getIndex());
            if (e.getKind() == Kind.KIND_TASK) {
                applyTask(e, touched);
            } else if (e.getKind() == Kind.KIND_NODE) {
                applyNode(e);
            }
        }
        index = Math.max(index, response.getIndex());
        if (response.getSnapshotComplete()) {
            ready = true;
            touched.addAll(tasksByNode.keySet());
        }
        return touched;
    }

    private void applyTask(StateEvent e, Set<String> touched) {
        String id = e.getId().isEmpty() ? e.getObject().getTask().getMeta().getId() : e.getId();
        String before = nodeOfTask.remove(id);
        if (before != null) {
            Map<String, Task> m = tasksByNode.get(before);
            m.remove(id);
            if (m.isEmpty()) {
                tasksByNode.remove(before);
            }
            touched.add(before);
        }
        if (e.getOp() == Op.OP_DELETE) {
            return;
        }
        Task t = e.getObject().getTask();
        if (!t.getNodeId().isEmpty()) {
            tasksByNode.computeIfAbsent(t.getNodeId(), k -> new LinkedHashMap<>()).put(id, t);
            nodeOfTask.put(id, t.getNodeId());
            touched.add(t.getNodeId());
        }
    }

    private void applyNode(StateEvent e) {
        Node n = e.getObject().getNode();
        String id = e.getId().isEmpty() ? n.getMeta().getId() : e.getId();
        String addr = n.hasManagerStatus() ? n.getManagerStatus().getAddr() : "";
        if (e.getOp() == Op.OP_DELETE || n.getRole() != NodeRole.ROLE_MANAGER || addr.isEmpty()) {
            managerAddrs.remove(id);
        } else {
            managerAddrs.put(id, addr);
        }
        if (e.getOp() == Op.OP_DELETE || n.getStatus().getState() != NodeState.NODE_READY) {
            readyNodes.remove(id);
        } else {
            readyNodes.put(id, n.getStatus());
        }
    }

    /** The status of every READY node, by id (a copy). */
    public Map<String, NodeStatus> readyNodes() {
        return new HashMap<>(readyNodes);
    }

    /** Whether the initial snapshot has been taken in. */
    public boolean ready() {
        return ready;
    }

    /** The store index this view reflects. */
    public long index() {
        return index;
    }

    /** The tasks the node must run or stop, in a stable order (by id). */
    public List<Task> assignments(String nodeId) {
        Map<String, Task> m = tasksByNode.getOrDefault(nodeId, Map.of());
        List<Task> out = new ArrayList<>();
        for (Task t : m.values()) {
            if (TaskRules.assignedTo(t, nodeId)) {
                out.add(t);
            }
        }
        out.sort(Comparator.comparing(t -> t.getMeta().getId()));
        return out;
    }

    /** ip:2377 of every manager the store knows. */
    public List<String> managers() {
        return List.copyOf(new java.util.LinkedHashSet<>(managerAddrs.values()));
    }
}
