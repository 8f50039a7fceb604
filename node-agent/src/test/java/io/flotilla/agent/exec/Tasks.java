package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;

/** Test tasks. */
final class Tasks {

    private Tasks() {
    }

    static Task task(String id, String service, long slot, String image, TaskState desired) {
        return Task.newBuilder().setMeta(Meta.newBuilder().setId(id)).setServiceId("svc" + service)
                .setServiceName(service).setSlot(slot).setNodeId("node1").setDesiredState(desired)
                .setSpec(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage(image)))
                .build();
    }

    /** As the scheduler sends a new task: assigned to the node, nothing reported yet. */
    static Task assigned(Task t) {
        return t.toBuilder().setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_ASSIGNED)).build();
    }

    static Task withDesired(Task t, TaskState desired) {
        return t.toBuilder().setDesiredState(desired).build();
    }
}
