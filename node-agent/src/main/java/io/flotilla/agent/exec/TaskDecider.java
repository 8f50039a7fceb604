package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;

/**
 * The executor's decision for one task, from what is desired and what is observed: a pure function, no
 * engine calls. The caller acts on the decision, observes again and asks again until nothing is left.
 */
public final class TaskDecider {

    /** What to do next for a task. */
    public enum Action {
        /** Nothing (the report, if any, is all). */
        NONE,
        /** Create the container (reporting preparing; rejected if its image is missing). */
        CREATE,
        /** Start the created container (reporting starting). */
        START,
        /** Stop the running container (its task is to shut down); it stays for its logs. */
        STOP,
        /** The task is no longer assigned: stop and remove its container. */
        REMOVE,
        /** The task is no longer assigned and has no container: forget it. */
        FORGET
    }

    /** An action plus a status to report first (null for none). */
    public record Decision(Action action, TaskStatus report) {
        static Decision of(Action a) {
            return new Decision(a, null);
        }

        static Decision report(TaskStatus s) {
            return new Decision(Action.NONE, s);
        }
    }

    /** What is known about a task besides its container. */
    public record Known(TaskStatus lastReported, Integer diedWith, String containerId) {
        public static final Known NOTHING = new Known(null, null, null);
    }

    private TaskDecider() {
    }

    /**
     * @param assigned  the task as last assigned, or null if it is no longer assigned to this node
     * @param container its container, or null if there is none
     * @param known     what this executor last reported, the exit code of a die event seen for it
     * @param nowMs     the time for statuses made now
     */
    public static Decision decide(Task assigned, ObservedContainer container, Known known, long nowMs) {
        if (assigned == null) {
            return Decision.of(container != null ? Action.REMOVE : Action.FORGET);
        }
        TaskStatus local = known.lastReported();
        TaskStatus effective = local != null ? local
                : (assigned.hasStatus() ? assigned.getStatus() : null);
        boolean terminal = effective != null && TaskStatuses.terminal(effective.getState());
        int desired = assigned.getDesiredStateValue();

        if (desired > TaskState.TASK_RUNNING_VALUE) {
            if (container != null && container.running()) {
                return Decision.of(Action.STOP);
            }
            if (terminal) {
                return Decision.of(Action.NONE);
            }
            String id = container != null ? container.id() : known.containerId();
            int code = container != null && container.phase() == ObservedContainer.Phase.EXITED
                    ? container.exitCode() : 0;
            return Decision.report(TaskStatuses.shutdown(nowMs, id, code));
        }

        if (terminal) {
            return Decision.of(Action.NONE);
        }
        TaskState seen = effective == null ? TaskState.TASK_NEW : effective.getState();
        if (container == null) {
            if (seen.getNumber() >= TaskState.TASK_STARTING_VALUE) {
                // it was started and its container is gone (docker rm -f): failed
                return Decision.report(known.diedWith() != null
                        ? TaskStatuses.exited(nowMs, known.containerId(), known.diedWith())
                        : TaskStatuses.vanished(nowMs, known.containerId()));
            }
            return Decision.of(Action.CREATE);
        }
        switch (container.phase()) {
            case CREATED:
                if (desired == TaskState.TASK_READY_VALUE) {
                    boolean reported = local != null && local.getState() == TaskState.TASK_READY;
                    return reported ? Decision.of(Action.NONE)
                            : Decision.report(TaskStatuses.prepared(nowMs, container.id()));
                }
                return Decision.of(Action.START);
            case RUNNING:
                if (local != null && local.getState() == TaskState.TASK_RUNNING) {
                    return Decision.of(Action.NONE);
                }
                long at = container.startedAtMs() > 0 && local == null ? container.startedAtMs() : nowMs;
                return Decision.report(TaskStatuses.running(at, container.id(), container.pid()));
            case EXITED:
            default:
                return Decision.report(TaskStatuses.exited(nowMs, container.id(), container.exitCode()));
        }
    }
}
