package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TaskContainersTest {

    @Test
    void hostModePortsArePublishedOnTheHostIngressOnesAreNot() {
        Task t = Tasks.task("abc", "nodejs", 1, "img", TaskState.TASK_RUNNING).toBuilder()
                .setEndpoint(io.flotilla.contracts.v1.Endpoint.newBuilder().setSpec(
                        io.flotilla.contracts.v1.EndpointSpec.newBuilder()
                                .addPorts(io.flotilla.contracts.v1.PortConfig.newBuilder().setTargetPort(8080)
                                        .setPublishedPort(8081).setPublishMode(io.flotilla.contracts.v1.PublishMode.PUBLISH_HOST))
                                .addPorts(io.flotilla.contracts.v1.PortConfig.newBuilder().setTargetPort(8080)
                                        .setPublishedPort(80).setProtocol("tcp"))))
                .build();
        ContainerConfig c = TaskContainers.configFor(t, "node1", "bridge");
        assertEquals(List.of(new ContainerConfig.HostPort("tcp", 8080, 8081)), c.hostPorts());
    }

    @Test
    void replicatedTaskIsNamedBySlotGlobalTaskByNode() {
        Task t = Tasks.task("abc", "nodejs", 1, "img", TaskState.TASK_RUNNING);
        assertEquals("nodejs.1.abc", TaskContainers.containerName(t, "node1"));
        Task global = t.toBuilder().setSlot(0).setNodeId("n7").build();
        assertEquals("nodejs.n7.abc", TaskContainers.containerName(global, "node1"));
    }

    @Test
    void configCarriesSwarmLabelsAndTheSpec() {
        Task t = Tasks.task("abc", "nodejs", 2, "img:1", TaskState.TASK_RUNNING).toBuilder()
                .setSpec(TaskSpec.newBuilder()
                        .setContainer(ContainerSpec.newBuilder().setImage("img:1").addCommand("/bin/sh")
                                .addArgs("-c").addArgs("sleep 1").addEnv("A=1").putLabels("team", "x")
                                .setHostname("h").setDir("/tmp").setUser("nobody").setTty(true))
                        .setLimits(Resources.newBuilder().setMemoryBytes(64L << 20).setNanoCpus(500_000_000L)))
                .build();
        ContainerConfig c = TaskContainers.configFor(t, "node1", "bridge");
        assertEquals("nodejs.2.abc", c.name());
        assertEquals("abc", c.labels().get("com.docker.swarm.task.id"));
        assertEquals("nodejs.2.abc", c.labels().get("com.docker.swarm.task.name"));
        assertEquals("nodejs", c.labels().get("com.docker.swarm.service.name"));
        assertEquals("svcnodejs", c.labels().get("com.docker.swarm.service.id"));
        assertEquals("node1", c.labels().get("com.docker.swarm.node.id"));
        assertEquals("x", c.labels().get("team"));
        assertEquals(List.of("/bin/sh"), c.entrypoint());
        assertEquals(List.of("-c", "sleep 1"), c.cmd());
        assertEquals(List.of("A=1"), c.env());
        assertEquals(64L << 20, c.memoryBytes());
        assertEquals(500_000_000L, c.nanoCpus());
        assertEquals("bridge", c.networkMode());
        assertEquals("nobody", c.user());
        assertEquals("/tmp", c.workingDir());
        assertEquals("h", c.hostname());
    }

    @Test
    void stopGraceDefaultsAndRoundsUp() {
        Task t = Tasks.task("abc", "s", 1, "img", TaskState.TASK_RUNNING);
        assertEquals(10, TaskContainers.stopGraceSeconds(t, 10));
        Task g = t.toBuilder().setSpec(t.getSpec().toBuilder().setContainer(
                t.getSpec().getContainer().toBuilder().setStopGracePeriodNs(1_500_000_000L))).build();
        assertEquals(2, TaskContainers.stopGraceSeconds(g, 10));
    }
}
