package io.flotilla.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import io.flotilla.agent.exec.TaskNetworking;
import io.flotilla.agent.swarm.SwarmStateProducer;
import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The executor against a real dockerd of its own: run, kill, rm -f, missing image, shutdown, unassign,
 * adoption after a restart. Prints the latencies it measures.
 */
class DockerExecutionIT {

    private static final String NODE = SwarmStateProducer.newId();
    private static ThrowawayDockerd dockerd;
    private static DockerClient docker;
    private static DockerExecution executor;
    private static final List<TaskStatusUpdate> reported = new CopyOnWriteArrayList<>();
    private static final List<Task> assigned = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startDockerd() throws Exception {
        dockerd = ThrowawayDockerd.start();
        docker = DockerContainerRuntime.connect(dockerd.socket.toString());
        executor = open();
    }

    private static DockerExecution open() {
        DockerExecution e = DockerExecution.open(dockerd.socket.toString(), () -> NODE,
                TaskNetworking.fixed("none"), 2, 10);
        e.onStatus(reported::add);
        return e;
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (executor != null) {
            executor.close();
        }
        if (docker != null) {
            docker.close();
        }
        if (dockerd != null) {
            dockerd.close();
        }
    }

    @Test
    void runsATaskAndSeesItsContainerRemovedByAUser() throws Exception {
        List<Long> createStart = new ArrayList<>();
        Task last = null;
        for (int i = 0; i < 5; i++) {
            Task t = task("web", i + 1, ThrowawayDockerd.IMAGE, 0);
            long t0 = System.nanoTime();
            assign(t);
            await(() -> state(t) == TaskState.TASK_RUNNING, 10_000);
            createStart.add((System.nanoTime() - t0) / 1_000_000);
            assertEquals(List.of(TaskState.TASK_PREPARING, TaskState.TASK_STARTING, TaskState.TASK_RUNNING), states(t));
            last = t;
        }
        Collections.sort(createStart);
        System.out.println("FIGURE assign -> RUNNING reported (create+start), 5 tasks one by one, ms: " + createStart
                + " median " + createStart.get(2));

        Task t = last;
        String name = "web.5." + t.getMeta().getId();
        InspectContainerResponse c = docker.inspectContainerCmd(name).exec();
        assertTrue(c.getState().getRunning());
        assertEquals(t.getMeta().getId(), c.getConfig().getLabels().get("com.docker.swarm.task.id"));
        assertEquals(NODE, c.getConfig().getLabels().get("com.docker.swarm.node.id"));
        assertEquals("web", c.getConfig().getLabels().get("com.docker.swarm.service.name"));
        assertEquals(c.getId(), lastStatus(t).getStatus().getContainer().getContainerId());
        assertEquals(c.getState().getPidLong().intValue(), lastStatus(t).getStatus().getContainer().getPid());

        long t0 = System.nanoTime();
        ThrowawayDockerd.Result rm = dockerd.docker("rm", "-f", name);
        long t1 = System.nanoTime();
        assertEquals(0, rm.exit(), rm.output());
        await(() -> state(t) == TaskState.TASK_FAILED, 1_000);
        long failedAt = System.nanoTime();
        assertEquals("task: non-zero exit (137)", lastStatus(t).getStatus().getErr());
        assertEquals(137, lastStatus(t).getStatus().getContainer().getExitCode());
        System.out.println("FIGURE docker rm -f (CLI) -> FAILED reported: " + (failedAt - t0) / 1_000_000
                + " ms from running the CLI, " + (failedAt - t1) / 1_000_000 + " ms after the CLI returned");
    }

    @Test
    void killedContainerFailsWithItsExitCodeQuickly() throws Exception {
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Task t = task("kill", i + 1, ThrowawayDockerd.IMAGE, 0);
            assign(t);
            await(() -> state(t) == TaskState.TASK_RUNNING, 10_000);
            String id = lastStatus(t).getStatus().getContainer().getContainerId();
            long t0 = System.nanoTime();
            docker.killContainerCmd(id).exec();
            await(() -> state(t) == TaskState.TASK_FAILED, 1_000);
            latencies.add((System.nanoTime() - t0) / 1_000_000);
            assertEquals("task: non-zero exit (137)", lastStatus(t).getStatus().getErr());
            assertTrue(docker.inspectContainerCmd(id).exec().getState().getStatus().equals("exited"),
                    "the failed task's container is kept");
        }
        Collections.sort(latencies);
        System.out.println("FIGURE kill (docker-java) -> FAILED reported, 5 kills, ms: " + latencies
                + " median " + latencies.get(2));
    }

    @Test
    void tenTasksAssignedAtOnceAllRun() {
        // the engine alone, for comparison: create + start + inspect through docker-java, one by one
        List<Long> engine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            String id = docker.createContainerCmd(ThrowawayDockerd.IMAGE).withName("baseline" + i)
                    .withHostConfig(com.github.dockerjava.api.model.HostConfig.newHostConfig().withNetworkMode("none"))
                    .exec().getId();
            docker.startContainerCmd(id).exec();
            docker.inspectContainerCmd(id).exec();
            engine.add((System.nanoTime() - t0) / 1_000_000);
            docker.removeContainerCmd(id).withForce(true).exec();
        }
        Collections.sort(engine);
        System.out.println("FIGURE engine alone: create+start+inspect via docker-java, ms: " + engine
                + " median " + engine.get(2));

        List<Task> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(task("batch", i + 1, ThrowawayDockerd.IMAGE, 0));
        }
        long t0 = System.nanoTime();
        assigned.addAll(batch);
        executor.reconcile(List.copyOf(assigned));
        await(() -> batch.stream().allMatch(t -> state(t) == TaskState.TASK_RUNNING), 60_000);
        System.out.println("FIGURE 10 tasks assigned at once -> all RUNNING reported (2 workers): "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @Test
    void missingImageRejectsTheTask() {
        Task t = task("nope", 1, "flotilla-it/missing:1", 0);
        assign(t);
        await(() -> state(t) == TaskState.TASK_REJECTED, 5_000);
        assertEquals("No such image: flotilla-it/missing:1", lastStatus(t).getStatus().getErr());
        assertTrue(docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(java.util.Map.of("com.docker.swarm.task.id", t.getMeta().getId())).exec().isEmpty());
    }

    @Test
    void shutdownStopsTheContainerAndUnassigningRemovesIt() throws Exception {
        Task t = task("stop", 1, ThrowawayDockerd.IMAGE, 1_000_000_000L);
        assign(t);
        await(() -> state(t) == TaskState.TASK_RUNNING, 10_000);
        String id = lastStatus(t).getStatus().getContainer().getContainerId();
        long t0 = System.nanoTime();
        replace(t, t.toBuilder().setDesiredState(TaskState.TASK_SHUTDOWN).build());
        await(() -> state(t) == TaskState.TASK_SHUTDOWN, 15_000);
        System.out.println("FIGURE desired SHUTDOWN -> SHUTDOWN reported (sleep ignores TERM, grace 1 s): "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        InspectContainerResponse c = docker.inspectContainerCmd(id).exec();
        assertFalse(c.getState().getRunning(), "stopped");
        assertEquals(TaskState.TASK_SHUTDOWN, state(t), "our own stop is not reported as a failure");

        unassign(t);
        await(() -> docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(id)).exec().isEmpty(), 10_000);
        await(() -> executor.currentStatuses().stream().noneMatch(u -> u.getTaskId().equals(t.getMeta().getId())),
                5_000);
    }

    @Test
    void aRestartedExecutorAdoptsRunningContainersAndRemovesUnassignedOnes() throws Exception {
        Task keep = task("adopt", 1, ThrowawayDockerd.IMAGE, 0);
        Task drop = task("adopt", 2, ThrowawayDockerd.IMAGE, 0);
        assign(keep);
        assign(drop);
        await(() -> state(keep) == TaskState.TASK_RUNNING && state(drop) == TaskState.TASK_RUNNING, 10_000);
        String keptId = lastStatus(keep).getStatus().getContainer().getContainerId();
        String droppedId = lastStatus(drop).getStatus().getContainer().getContainerId();

        // the agent restarts: a fresh executor, the manager now assigns only "keep" (plus the others' tasks)
        executor.close();
        assigned.remove(drop);
        reported.clear();
        executor = open();
        executor.reconcile(List.copyOf(assigned));
        await(() -> state(keep) == TaskState.TASK_RUNNING, 10_000);
        assertEquals(keptId, lastStatus(keep).getStatus().getContainer().getContainerId(), "adopted, not recreated");
        assertEquals(List.of(TaskState.TASK_RUNNING), states(keep));
        await(() -> docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(droppedId)).exec().isEmpty(),
                15_000);
        assertNotEquals(0, executor.currentStatuses().size());
    }

    @Test
    void anEngineWarmedUpAtTheAgentsStartMakesNothingAndRunsTheFirstTask() {
        int before = docker.listContainersCmd().withShowAll(true).exec().size();
        DockerExecution.Engine engine = DockerExecution.warmedEngine(dockerd.socket.toString(),
                TaskNetworking.fixed("none"));
        assertTrue(engine.warmed());
        assertEquals(before, docker.listContainersCmd().withShowAll(true).exec().size(), "the warm-up made no container");

        // another node's executor on the same engine (the class's executor keeps its own tasks)
        String node = SwarmStateProducer.newId();
        List<TaskStatusUpdate> own = new CopyOnWriteArrayList<>();
        Task t = task("early", 1, ThrowawayDockerd.IMAGE, 0).toBuilder().setNodeId(node).build();
        try (DockerExecution e = DockerExecution.open(engine, () -> node, TaskNetworking.fixed("none"), 2, 10)) {
            e.onStatus(own::add);
            e.reconcile(List.of(t));
            await(() -> own.stream().anyMatch(u -> u.getTaskId().equals(t.getMeta().getId())
                    && u.getStatus().getState() == TaskState.TASK_RUNNING), 10_000);
            assertTrue(own.stream().allMatch(u -> u.getTaskId().equals(t.getMeta().getId())), "reports only its task");
            String id = own.get(own.size() - 1).getStatus().getContainer().getContainerId();
            assertEquals(node, docker.inspectContainerCmd(id).exec().getConfig().getLabels().get("com.docker.swarm.node.id"));
            e.reconcile(List.of());
            await(() -> docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(id)).exec().isEmpty(), 15_000);
        }
    }

    private static Task task(String service, int slot, String image, long graceNs) {
        return Task.newBuilder().setMeta(Meta.newBuilder().setId(SwarmStateProducer.newId()))
                .setServiceId("svc" + service).setServiceName(service).setSlot(slot).setNodeId(NODE)
                .setDesiredState(TaskState.TASK_RUNNING)
                .setSpec(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage(image)
                        .setStopGracePeriodNs(graceNs)))
                .build();
    }

    private static void assign(Task t) {
        assigned.add(t);
        executor.reconcile(List.copyOf(assigned));
    }

    private static void replace(Task old, Task next) {
        assigned.replaceAll(x -> x.getMeta().getId().equals(old.getMeta().getId()) ? next : x);
        executor.reconcile(List.copyOf(assigned));
    }

    private static void unassign(Task t) {
        assigned.removeIf(x -> x.getMeta().getId().equals(t.getMeta().getId()));
        executor.reconcile(List.copyOf(assigned));
    }

    private static TaskStatusUpdate lastStatus(Task t) {
        TaskStatusUpdate last = null;
        for (TaskStatusUpdate u : reported) {
            if (u.getTaskId().equals(t.getMeta().getId())) {
                last = u;
            }
        }
        return last;
    }

    private static TaskState state(Task t) {
        TaskStatusUpdate u = lastStatus(t);
        return u == null ? null : u.getStatus().getState();
    }

    private static List<TaskState> states(Task t) {
        List<TaskState> out = new ArrayList<>();
        for (TaskStatusUpdate u : reported) {
            if (u.getTaskId().equals(t.getMeta().getId())) {
                out.add(u.getStatus().getState());
            }
        }
        return out;
    }

    private static void await(BooleanSupplier condition, long timeoutMs) {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        fail("condition not met within " + timeoutMs + " ms");
    }
}
