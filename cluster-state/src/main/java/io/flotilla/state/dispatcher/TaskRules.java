package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;

/** Which tasks a node is sent, and which status changes an agent may make (Swarm's task model). */
public final class TaskRules {

    private TaskRules() {}

    /** A task has finished once its observed state reaches COMPLETE (or any later state). */
    public static boolean terminal(TaskStatus status) {
        return status.getStateValue() >= TaskState.TASK_COMPLETE_VALUE;
    }

    /**
     * Whether the task belongs in the assignment set of the node: it is on that node and either is to
     * run, or is to be stopped and has not stopped yet (so that the agent stops it).
     */
    public static boolean assignedTo(Task task, String nodeId) {
        if (nodeId.isEmpty() || !nodeId.equals(task.getNodeId())) {
            return false;
        }
        return task.getDesiredStateValue() <= TaskState.TASK_RUNNING_VALUE || !terminal(task.getStatus());
    }

    /** Whether an agent may report this state at all (ASSIGNED and before, REMOVE, ORPHANED are the managers'). */
    public static boolean reportable(TaskState state) {
        int v = state.getNumber();
        return v >= TaskState.TASK_ACCEPTED_VALUE && v <= TaskState.TASK_REJECTED_VALUE;
    }

    /**
     * Whether a reported status replaces the stored one: the state only moves forward in Swarm's
     * order; the same state is taken when it says something new (message, error, container).
     */
    public static boolean accepts(TaskStatus current, TaskStatus reported) {
        if (!reportable(reported.getState())) {
            return false;
        }
        if (reported.getStateValue() != current.getStateValue()) {
            return reported.getStateValue() > current.getStateValue();
        }
        return !reported.getMessage().equals(current.getMessage())
                || !reported.getErr().equals(current.getErr())
                || !reported.getContainer().equals(current.getContainer());
    }
}
