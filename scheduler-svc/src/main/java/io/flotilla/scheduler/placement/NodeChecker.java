package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Task;

/**
 * One feasibility filter of the placement chain. A checker that rejects a node is counted, and
 * {@link #explain(int)} turns the count into Swarm's words for a pending task's message.
 */
public interface NodeChecker {
    boolean check(Task task, NodeInfo node);

    /** Swarm's explanation, e.g. "insufficient resources on 2 nodes". */
    String explain(int nodes);

    /** True if the answer can change as the pass places tasks (resources, ports). */
    default boolean dependsOnPlacements() {
        return false;
    }

    /**
     * True if the answer depends on the node alone and is yes on a node that is ready and active
     * ({@link NodeInfo#takesTasks}): such a node skips the checker.
     */
    default boolean passesWhenNodeTakesTasks() {
        return false;
    }

    /** Whether this checker has anything to check for the task (disabled checkers always pass). */
    default boolean enabled(Task task) {
        return true;
    }

    static String nodes(int n) {
        return n == 1 ? "1 node" : n + " nodes";
    }
}
