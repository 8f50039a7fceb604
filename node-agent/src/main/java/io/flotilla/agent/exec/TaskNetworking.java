package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.Task;

/**
 * The seam where a task's container gets its networks. Today every task gets one mode (the engine's
 * "bridge"); the overlay dataplane replaces this with an implementation that plugs the container into
 * its overlays once it runs.
 */
public interface TaskNetworking {

    /** The engine network mode to create the container with ("bridge", "none", ...). */
    String networkMode(Task task);

    /**
     * Called after the container started and before the task is reported running; a failure here
     * fails the task with the exception's message.
     */
    default void attach(Task task, ObservedContainer container) {
    }

    /**
     * A task container this agent finds running (after an agent restart): attached by an earlier agent, its
     * networking is to be known again (load-balancing rules, DNS sources). Best effort.
     */
    default void adopt(Task task, ObservedContainer container) {
    }

    /** One fixed mode for every task, nothing attached afterwards. */
    static TaskNetworking fixed(String mode) {
        return task -> mode;
    }
}
