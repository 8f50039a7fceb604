package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.Task;

/** The node's agent is connected and ready. */
public final class ReadyChecker implements NodeChecker {
    @Override
    public boolean check(Task task, NodeInfo node) {
        return node.node().getStatus().getState() == NodeState.NODE_READY;
    }

    @Override
    public boolean passesWhenNodeTakesTasks() {
        return true;
    }

    @Override
    public String explain(int nodes) {
        return NodeChecker.nodes(nodes) + " not available for new tasks";
    }
}
