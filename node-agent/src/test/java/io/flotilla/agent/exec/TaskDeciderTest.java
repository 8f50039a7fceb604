package io.flotilla.agent.exec;

import io.flotilla.agent.exec.TaskDecider.Action;
import io.flotilla.agent.exec.TaskDecider.Decision;
import io.flotilla.agent.exec.TaskDecider.Known;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import org.junit.jupiter.api.Test;

import static io.flotilla.agent.exec.ObservedContainer.Phase.CREATED;
import static io.flotilla.agent.exec.ObservedContainer.Phase.EXITED;
import static io.flotilla.agent.exec.ObservedContainer.Phase.RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class TaskDeciderTest {

    private static final long NOW = 1_000_000L;
    private final Task running = Tasks.task("t1", "web", 1, "img:1", TaskState.TASK_RUNNING);
    private final Task shutdown = Tasks.withDesired(running, TaskState.TASK_SHUTDOWN);

    private static ObservedContainer container(ObservedContainer.Phase phase, int exit) {
        return new ObservedContainer("c1", "t1", phase, exit, phase == RUNNING ? 42 : 0, 5_000L, 0);
    }

    private static Known reported(TaskState state) {
        return new Known(io.flotilla.contracts.v1.TaskStatus.newBuilder().setState(state).build(), null, "c1");
    }

    @Test
    void missingContainerOfANewTaskIsCreated() {
        Decision d = TaskDecider.decide(running, null, Known.NOTHING, NOW);
        assertEquals(Action.CREATE, d.action());
        assertNull(d.report());
    }

    @Test
    void createdContainerIsStarted() {
        assertEquals(Action.START,
                TaskDecider.decide(running, container(CREATED, 0), reported(TaskState.TASK_PREPARING), NOW).action());
    }

    @Test
    void startedContainerIsReportedRunningOnce() {
        Decision d = TaskDecider.decide(running, container(RUNNING, 0), reported(TaskState.TASK_STARTING), NOW);
        assertEquals(TaskState.TASK_RUNNING, d.report().getState());
        assertEquals("started", d.report().getMessage());
        assertEquals(42, d.report().getContainer().getPid());
        assertEquals(NOW, d.report().getTimestampMs());
        Decision again = TaskDecider.decide(running, container(RUNNING, 0), reported(TaskState.TASK_RUNNING), NOW);
        assertEquals(Action.NONE, again.action());
        assertNull(again.report());
    }

    @Test
    void adoptedRunningContainerIsReportedWithItsStartTime() {
        Decision d = TaskDecider.decide(running, container(RUNNING, 0), Known.NOTHING, NOW);
        assertEquals(Action.NONE, d.action());
        assertEquals(TaskState.TASK_RUNNING, d.report().getState());
        assertEquals(5_000L, d.report().getTimestampMs());
    }

    @Test
    void runningContainerOfATaskToShutDownIsStopped() {
        assertEquals(Action.STOP,
                TaskDecider.decide(shutdown, container(RUNNING, 0), reported(TaskState.TASK_RUNNING), NOW).action());
    }

    @Test
    void stoppedContainerOfATaskToShutDownIsReportedShutdown() {
        Decision d = TaskDecider.decide(shutdown, container(EXITED, 137), reported(TaskState.TASK_RUNNING), NOW);
        assertEquals(Action.NONE, d.action());
        assertEquals(TaskState.TASK_SHUTDOWN, d.report().getState());
        assertEquals("shutdown", d.report().getMessage());
    }

    @Test
    void unassignedTaskWithContainerIsRemovedAndWithoutIsForgotten() {
        assertEquals(Action.REMOVE,
                TaskDecider.decide(null, container(EXITED, 137), reported(TaskState.TASK_FAILED), NOW).action());
        assertEquals(Action.REMOVE,
                TaskDecider.decide(null, container(RUNNING, 0), reported(TaskState.TASK_RUNNING), NOW).action());
        assertEquals(Action.FORGET, TaskDecider.decide(null, null, reported(TaskState.TASK_FAILED), NOW).action());
    }

    @Test
    void deathWhileDesiredRunningFailsWithTheExitCode() {
        Decision d = TaskDecider.decide(running, container(EXITED, 137), reported(TaskState.TASK_RUNNING), NOW);
        assertEquals(TaskState.TASK_FAILED, d.report().getState());
        assertEquals("task: non-zero exit (137)", d.report().getErr());
        assertEquals(137, d.report().getContainer().getExitCode());
    }

    @Test
    void exitZeroCompletes() {
        Decision d = TaskDecider.decide(running, container(EXITED, 0), reported(TaskState.TASK_RUNNING), NOW);
        assertEquals(TaskState.TASK_COMPLETE, d.report().getState());
        assertEquals("finished", d.report().getMessage());
    }

    @Test
    void containerRemovedByAUserFailsWithTheExitCodeOfItsDieEvent() {
        Known known = new Known(reported(TaskState.TASK_RUNNING).lastReported(), 137, "c1");
        Decision d = TaskDecider.decide(running, null, known, NOW);
        assertEquals(Action.NONE, d.action());
        assertEquals(TaskState.TASK_FAILED, d.report().getState());
        assertEquals("task: non-zero exit (137)", d.report().getErr());
        assertEquals("c1", d.report().getContainer().getContainerId());
    }

    @Test
    void containerGoneWithoutAnEventStillFails() {
        Decision d = TaskDecider.decide(running, null, reported(TaskState.TASK_RUNNING), NOW);
        assertEquals(TaskState.TASK_FAILED, d.report().getState());
    }

    @Test
    void aFailedTaskIsNeverRestartedNorRelabelledShutdown() {
        Known failed = reported(TaskState.TASK_FAILED);
        Decision run = TaskDecider.decide(running, null, failed, NOW);
        assertEquals(Action.NONE, run.action());
        assertNull(run.report());
        Decision stop = TaskDecider.decide(shutdown, container(EXITED, 137), failed, NOW);
        assertEquals(Action.NONE, stop.action());
        assertNull(stop.report());
    }

    @Test
    void afterAnAgentRestartTheManagersTerminalStatusCounts() {
        Task failedAtManager = running.toBuilder().setStatus(io.flotilla.contracts.v1.TaskStatus.newBuilder()
                .setState(TaskState.TASK_FAILED)).build();
        assertEquals(Action.NONE, TaskDecider.decide(failedAtManager, null, Known.NOTHING, NOW).action());
    }

    @Test
    void taskToShutDownThatNeverRanIsReportedShutdown() {
        Decision d = TaskDecider.decide(shutdown, null, Known.NOTHING, NOW);
        assertEquals(TaskState.TASK_SHUTDOWN, d.report().getState());
    }

    @Test
    void desiredReadyOnlyPrepares() {
        Task ready = Tasks.withDesired(running, TaskState.TASK_READY);
        assertEquals(Action.CREATE, TaskDecider.decide(ready, null, Known.NOTHING, NOW).action());
        Decision d = TaskDecider.decide(ready, container(CREATED, 0), reported(TaskState.TASK_PREPARING), NOW);
        assertEquals(TaskState.TASK_READY, d.report().getState());
        assertEquals(Action.NONE, d.action());
    }
}
