package io.flotilla.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import org.junit.jupiter.api.Test;

/** The scale bench reads of each task event only the task's node and state. */
class ScaleBenchTest {

    private static long head(Task task) {
        return ScaleBench.head(StoredObject.newBuilder().setTask(task).build().toByteString());
    }

    private static Task.Builder task() {
        return Task.newBuilder().setMeta(Meta.newBuilder().setId("t1").setVersion(3)).setServiceId("s1").setSlot(7)
                .setServiceName("web").setSchedulingMessage("waiting");
    }

    @Test
    void aPendingTaskHasItsStateAndNoNode() {
        long head = head(task().setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_PENDING).setMessage("pending")
                .setTimestampMs(12345)).build());
        assertEquals(TaskState.TASK_PENDING_VALUE, (int) head);
        assertEquals(false, head < 0);
    }

    @Test
    void anAssignedTaskHasItsNodeWhereverTheFieldsAre() {
        long head = head(task().setNodeId("simnode000000000000000042").setDesiredState(TaskState.TASK_RUNNING)
                .setStatus(TaskStatus.newBuilder().setTimestampMs(1).setState(TaskState.TASK_ASSIGNED).setErr("x"))
                .setRestartAttempt(2).build());
        assertEquals(TaskState.TASK_ASSIGNED_VALUE, (int) head);
        assertEquals(true, head < 0);
    }

    @Test
    void aTaskWithoutStatusIsNew() {
        long head = head(task().build());
        assertEquals(TaskState.TASK_NEW_VALUE, (int) head);
        assertEquals(false, head < 0);
    }

    @Test
    void anObjectThatIsNotATaskReadsAsNothing() {
        assertEquals(0L, ScaleBench.head(StoredObject.newBuilder().setService(
                io.flotilla.contracts.v1.Service.newBuilder().setMeta(Meta.newBuilder().setId("s1"))).build().toByteString()));
    }
}
