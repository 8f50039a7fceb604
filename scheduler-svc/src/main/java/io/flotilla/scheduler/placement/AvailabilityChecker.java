package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.Task;

/** The node takes new tasks (availability active; pause and drain do not). */
public final class AvailabilityChecker implements NodeChecker {
    @Override
    public boolean check(Task task, NodeInfo node) {
        return node.node().getSpec().getAvailability() == NodeAvailability.AVAILABILITY_ACTIVE;
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
