package io.flotilla.agent.exec;

/**
 * A task's container as the engine last showed it. Times are epoch milliseconds, 0 when unknown.
 *
 * @param id        the engine's container id
 * @param taskId    the task the container runs (its com.docker.swarm.task.id label)
 * @param phase     created (never started), running, or exited
 * @param exitCode  the exit code once exited
 * @param pid       the main process id while running, else 0
 */
public record ObservedContainer(String id, String taskId, Phase phase, int exitCode, int pid,
                                long startedAtMs, long finishedAtMs) {

    public enum Phase { CREATED, RUNNING, EXITED }

    public boolean running() {
        return phase == Phase.RUNNING;
    }
}
