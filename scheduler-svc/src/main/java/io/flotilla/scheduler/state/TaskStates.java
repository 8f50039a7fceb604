package io.flotilla.scheduler.state;

import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;

/** Predicates over task states, in Swarm's order (new < pending < assigned < ... < running < terminal). */
public final class TaskStates {
    private TaskStates() {
    }

    public static boolean isTerminal(TaskState s) {
        return s.getNumber() >= TaskState.TASK_COMPLETE.getNumber();
    }

    /** Observed state has ended (complete, shutdown, failed, rejected, orphaned...). */
    public static boolean ended(Task t) {
        return isTerminal(t.getStatus().getState());
    }

    /** The managers still want this task to run. */
    public static boolean wanted(Task t) {
        return t.getDesiredState().getNumber() <= TaskState.TASK_RUNNING.getNumber();
    }

    /** Unassigned and waiting for the scheduler. */
    public static boolean awaitingPlacement(Task t) {
        return wanted(t) && t.getStatus().getState().getNumber() <= TaskState.TASK_PENDING.getNumber();
    }

    /** Holds resources on its node: assigned and not yet ended. */
    public static boolean holdsNode(Task t) {
        return !t.getNodeId().isEmpty() && !ended(t)
                && t.getStatus().getState().getNumber() >= TaskState.TASK_ASSIGNED.getNumber();
    }

    /** Ended by itself (the restart policy applies), as opposed to stopped on request. */
    public static boolean endedByItself(Task t) {
        TaskState s = t.getStatus().getState();
        return s == TaskState.TASK_FAILED || s == TaskState.TASK_COMPLETE || s == TaskState.TASK_REJECTED;
    }
}
