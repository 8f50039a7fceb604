package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.Task;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link NodeInfo} per node, kept by the view as its nodes and tasks change (a task that holds its node is
 * counted there), so that a pass does not rebuild 5,000 of them from every task. A pass's placements are
 * counted too while it runs ({@link #place}) and taken back at its end ({@link #endPass}): the view counts
 * them again once their writes are recorded. Counts are kept for a node id the view does not (or no longer)
 * hold while tasks name it; such an entry is not offered to the scheduler. Same counts as
 * {@link TaskScheduler#nodeInfos}. Single-threaded, as the view.
 */
public final class NodeTable {
    private final Map<String, NodeInfo> byId = new HashMap<>();
    /** The entries with a node, by id (each one's rank is its position); null when nodes came or went. */
    private List<NodeInfo> ranked;
    private int withNode;
    private final List<Placed> placedThisPass = new ArrayList<>();

    private record Placed(NodeInfo node, Task task) {
    }

    /** A node came or changed. */
    public void putNode(Node n) {
        String id = n.getMeta().getId();
        NodeInfo info = byId.get(id);
        if (info == null) {
            info = new NodeInfo(n);
            byId.put(id, info);
            withNode++;
            ranked = null;
        } else {
            if (info.node() == null) {
                withNode++;
                ranked = null;
            }
            info.setNode(n);
        }
    }

    /** A node was deleted (its tasks' counts stay while they name it). */
    public void removeNode(String id) {
        NodeInfo info = byId.get(id);
        if (info == null || info.node() == null) {
            return;
        }
        withNode--;
        ranked = null;
        if (info.empty()) {
            byId.remove(id);
        } else {
            info.setNode(null);
        }
    }

    /** A task the view holds that holds its node. */
    public void addTask(Task t) {
        byId.computeIfAbsent(t.getNodeId(), k -> new NodeInfo(null)).add(t);
    }

    /** Undoes {@link #addTask} of the same task. */
    public void removeTask(Task t) {
        NodeInfo info = byId.get(t.getNodeId());
        if (info == null) {
            return;
        }
        info.remove(t);
        if (info.node() == null && info.empty()) {
            byId.remove(t.getNodeId());
        }
    }

    /** A task failed on its node at that time (see {@link NodeInfo#recentFailures}); nothing for an unknown node. */
    public void taskFailed(Task t, long atMs) {
        NodeInfo info = byId.get(t.getNodeId());
        if (info != null) {
            info.taskFailed(NodeInfo.versionedService(t), atMs);
        }
    }

    /** The node's entry, or null when the view has no such node. */
    public NodeInfo get(String id) {
        NodeInfo info = byId.get(id);
        return info == null || info.node() == null ? null : info;
    }

    /** Every node's entry, by id; each one's rank is its position. */
    public List<NodeInfo> nodes() {
        if (ranked == null) {
            List<NodeInfo> out = new ArrayList<>(withNode);
            for (NodeInfo info : byId.values()) {
                if (info.node() != null) {
                    out.add(info);
                }
            }
            out.sort(Comparator.comparing(NodeInfo::id));
            for (int i = 0; i < out.size(); i++) {
                out.get(i).rank = i;
            }
            ranked = out;
        }
        return ranked;
    }

    /** Counts a task a pass placed there (not in the view yet) until {@link #endPass}. */
    void place(NodeInfo info, Task t) {
        info.add(t);
        placedThisPass.add(new Placed(info, t));
    }

    /** Takes back what the pass placed: the view counts those tasks once it records their writes. */
    public void endPass() {
        for (int i = placedThisPass.size() - 1; i >= 0; i--) {
            Placed p = placedThisPass.get(i);
            p.node().remove(p.task());
        }
        placedThisPass.clear();
    }
}
