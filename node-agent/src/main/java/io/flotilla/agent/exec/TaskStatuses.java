package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.ContainerStatus;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;

/** The statuses the executor reports, with Swarm's messages and errors. */
public final class TaskStatuses {

    private TaskStatuses() {
    }

    public static TaskStatus preparing(long nowMs) {
        return status(TaskState.TASK_PREPARING, nowMs, "preparing", "", null);
    }

    public static TaskStatus prepared(long nowMs, String containerId) {
        return status(TaskState.TASK_READY, nowMs, "prepared", "", container(containerId, 0, 0));
    }

    public static TaskStatus starting(long nowMs, String containerId) {
        return status(TaskState.TASK_STARTING, nowMs, "starting", "", container(containerId, 0, 0));
    }

    public static TaskStatus running(long atMs, String containerId, int pid) {
        return status(TaskState.TASK_RUNNING, atMs, "started", "", container(containerId, pid, 0));
    }

    /** The container's process ended on its own: complete on 0, failed otherwise. */
    public static TaskStatus exited(long atMs, String containerId, int exitCode) {
        if (exitCode == 0) {
            return status(TaskState.TASK_COMPLETE, atMs, "finished", "", container(containerId, 0, 0));
        }
        return status(TaskState.TASK_FAILED, atMs, "started", "task: non-zero exit (" + exitCode + ")",
                container(containerId, 0, exitCode));
    }

    /** A task that was started and whose container no longer exists (and no exit was seen). */
    public static TaskStatus vanished(long nowMs, String containerId) {
        return status(TaskState.TASK_FAILED, nowMs, "started",
                "container " + (containerId == null ? "" : containerId + " ") + "no longer exists",
                container(containerId, 0, 0));
    }

    public static TaskStatus shutdown(long nowMs, String containerId, int exitCode) {
        return status(TaskState.TASK_SHUTDOWN, nowMs, "shutdown", "", container(containerId, 0, exitCode));
    }

    /** Failed before it could start (Swarm: an error before "starting" rejects the task). */
    public static TaskStatus rejected(long nowMs, String err) {
        return status(TaskState.TASK_REJECTED, nowMs, "preparing", err, null);
    }

    public static TaskStatus noSuchImage(long nowMs, String image) {
        return rejected(nowMs, "No such image: " + image);
    }

    /** Failed while or after starting. */
    public static TaskStatus failed(long nowMs, String containerId, String err) {
        return status(TaskState.TASK_FAILED, nowMs, "starting", err, container(containerId, 0, 0));
    }

    public static boolean terminal(TaskState s) {
        return s.getNumber() >= TaskState.TASK_COMPLETE_VALUE;
    }

    private static ContainerStatus container(String id, int pid, int exitCode) {
        if (id == null) {
            return null;
        }
        return ContainerStatus.newBuilder().setContainerId(id).setPid(pid).setExitCode(exitCode).build();
    }

    private static TaskStatus status(TaskState state, long ms, String message, String err, ContainerStatus c) {
        TaskStatus.Builder b = TaskStatus.newBuilder().setState(state).setTimestampMs(ms).setMessage(message)
                .setErr(err);
        if (c != null) {
            b.setContainer(c);
        }
        return b.build();
    }
}
