package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import io.flotilla.contracts.v1.ContainerStatus;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TaskMapperTest {

    @Test
    void everyStateIsALowerCaseWordAndRoundTrips() {
        for (TaskState s : TaskState.values()) {
            if (s == TaskState.UNRECOGNIZED) continue;
            String word = TaskStates.toDocker(s);
            assertEquals(word.toLowerCase(), word);
            assertEquals(s, TaskStates.fromDocker(word));
        }
        assertEquals("running", TaskStates.toDocker(TaskState.TASK_RUNNING));
        assertEquals("orphaned", TaskStates.toDocker(TaskState.TASK_ORPHANED));
        assertThrows(InvalidSpecException.class, () -> TaskStates.fromDocker("sleeping"));
    }

    @Test
    void taskJsonHasDockersFields() {
        Task t = Task.newBuilder()
                .setMeta(Meta.newBuilder().setId("t1").setVersion(12).setCreatedAtMs(1_700_000_000_123L).setUpdatedAtMs(1_700_000_001_000L))
                .setServiceId("s1").setSlot(2).setNodeId("n1").setSpecVersion(3).setServiceName("web")
                .setDesiredState(TaskState.TASK_RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_FAILED).setTimestampMs(1_700_000_002_000L)
                        .setMessage("started").setErr("task: non-zero exit (137)")
                        .setContainer(ContainerStatus.newBuilder().setContainerId("c1").setPid(0).setExitCode(137)))
                .addNetworks(NetworkAttachment.newBuilder().setNetworkId("net1").addAddresses("10.255.0.7/16"))
                .build();
        JsonNode j = TaskMapper.toDocker(t, Map.of("net1", "ingress"));
        assertEquals("t1", j.get("ID").asText());
        assertEquals(12, j.at("/Version/Index").longValue());
        assertEquals("2023-11-14T22:13:20.123Z", j.get("CreatedAt").asText());
        assertEquals("s1", j.get("ServiceID").asText());
        assertEquals(2, j.get("Slot").intValue());
        assertEquals("n1", j.get("NodeID").asText());
        assertEquals("failed", j.at("/Status/State").asText());
        assertEquals("task: non-zero exit (137)", j.at("/Status/Err").asText());
        assertEquals(137, j.at("/Status/ContainerStatus/ExitCode").intValue());
        assertEquals("running", j.get("DesiredState").asText());
        assertEquals("ingress", j.at("/NetworksAttachments/0/Network/Spec/Name").asText());
        assertEquals("10.255.0.7/16", j.at("/NetworksAttachments/0/Addresses/0").asText());
        assertFalse(j.has("Name"), "Docker leaves a task's Name empty");
    }

    @Test
    void pendingTaskSaysWhy() {
        Task t = Task.newBuilder().setMeta(Meta.newBuilder().setId("t"))
                .setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_PENDING))
                .setSchedulingMessage("no suitable node (scheduling constraints not satisfied on 3 nodes)").build();
        JsonNode j = TaskMapper.toDocker(t, Map.of());
        assertEquals("pending", j.at("/Status/State").asText());
        assertEquals("no suitable node (scheduling constraints not satisfied on 3 nodes)", j.at("/Status/Err").asText());
        assertEquals(DockerTime.ZERO, j.get("CreatedAt").asText());
    }
}
