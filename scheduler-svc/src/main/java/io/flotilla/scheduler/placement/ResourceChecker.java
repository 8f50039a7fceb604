package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.Task;

/** The task's reservations fit in the node's resources minus what its tasks reserve. */
public final class ResourceChecker implements NodeChecker {
    @Override
    public boolean enabled(Task task) {
        Resources r = task.getSpec().getReservations();
        return r.getNanoCpus() > 0 || r.getMemoryBytes() > 0;
    }

    @Override
    public boolean check(Task task, NodeInfo node) {
        Resources r = task.getSpec().getReservations();
        return (r.getNanoCpus() <= 0 || node.availableNanoCpus() >= r.getNanoCpus())
                && (r.getMemoryBytes() <= 0 || node.availableMemory() >= r.getMemoryBytes());
    }

    @Override
    public boolean dependsOnPlacements() {
        return true;
    }

    @Override
    public String explain(int nodes) {
        return "insufficient resources on " + NodeChecker.nodes(nodes);
    }
}
