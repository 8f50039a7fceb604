package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskStatusUpdate;

import java.util.List;
import java.util.function.Consumer;

/**
 * Runs this node's tasks in its container engine (swarmkit's agent/exec). Level-based: given the full
 * set of tasks assigned to this node, it makes the engine match it (create and start what is missing,
 * stop what is to be shut down, remove containers of tasks no longer assigned) and reports every
 * observed change of a task's state.
 */
public interface TaskExecutor {

    /** The full assignment set, as last sent by the dispatcher. Returns at once; work is asynchronous. */
    void reconcile(List<Task> assigned);

    /** Where observed task states go (the dispatcher session forwards them to the manager). */
    void onStatus(Consumer<TaskStatusUpdate> sink);

    /** The last observed status of every task this executor knows, for a session that (re)starts. */
    List<TaskStatusUpdate> currentStatuses();
}
