package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Task;

/** A host-mode published port can be bound once per node. */
public final class HostPortChecker implements NodeChecker {
    @Override
    public boolean enabled(Task task) {
        return !NodeInfo.hostPortKeys(task).isEmpty();
    }

    @Override
    public boolean check(Task task, NodeInfo node) {
        for (String key : NodeInfo.hostPortKeys(task)) {
            if (node.hostPortInUse(key)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean dependsOnPlacements() {
        return true;
    }

    @Override
    public String explain(int nodes) {
        return "host-mode port already in use on " + NodeChecker.nodes(nodes);
    }
}
