package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The executor's loop against an engine in memory: what it creates, stops, removes and reports. */
class TaskReconcilerTest {

    private final InMemoryRuntime engine = new InMemoryRuntime();
    private final List<TaskStatusUpdate> reported = new CopyOnWriteArrayList<>();
    private final List<String> networked = new CopyOnWriteArrayList<>();
    private final TaskReconciler executor = new TaskReconciler(engine, new TaskNetworking() {
        @Override
        public String networkMode(Task task) {
            return "bridge";
        }

        @Override
        public void attach(Task task, ObservedContainer container) {
            networked.add("attach " + task.getMeta().getId());
        }

        @Override
        public void adopt(Task task, ObservedContainer container) {
            networked.add("adopt " + task.getMeta().getId());
        }
    }, () -> "node1", System::currentTimeMillis, 2, 10, Runnable::run);
    private final Task web = Tasks.task("t1", "web", 1, "img:1", TaskState.TASK_RUNNING);

    TaskReconcilerTest() {
        engine.images.add("img:1");
        executor.onStatus(reported::add);
    }

    @AfterEach
    void close() {
        executor.close();
    }

    @Test
    void runsATaskReportingPreparingStartingRunning() {
        executor.reconcile(List.of(web));
        await(() -> lastState("t1") == TaskState.TASK_RUNNING);
        assertEquals(List.of(TaskState.TASK_PREPARING, TaskState.TASK_STARTING, TaskState.TASK_RUNNING), states("t1"));
        InMemoryRuntime.Box box = engine.byName("web.1.t1");
        assertNotNull(box, "container named <service>.<slot>.<task id>");
        assertEquals(ObservedContainer.Phase.RUNNING, box.phase);
        assertEquals(box.id, last("t1").getStatus().getContainer().getContainerId());
        assertEquals(box.pid, last("t1").getStatus().getContainer().getPid());
        assertEquals(1, executor.currentStatuses().size());

        // the same assignment again changes nothing
        executor.reconcile(List.of(web));
        settle();
        assertEquals(1, engine.creates);
        assertEquals(3, states("t1").size());
        assertEquals(List.of("attach t1"), networked, "attached after its start, never adopted");
    }

    @Test
    void theWarmUpLeavesNothingBehindAndReportsNothing() {
        executor.warmUp();
        assertTrue(engine.containers.isEmpty());
        assertEquals(0, engine.creates);
        assertTrue(reported.isEmpty());
        assertTrue(networked.isEmpty());

        // an engine that has the warm-up's image after all: the container it made is removed again
        engine.images.add(TaskReconciler.WARM_UP_IMAGE);
        executor.warmUp();
        assertEquals(1, engine.creates);
        assertTrue(engine.containers.isEmpty());
        assertTrue(reported.isEmpty());

        // and the executor works as before
        executor.reconcile(List.of(web));
        await(() -> lastState("t1") == TaskState.TASK_RUNNING);
    }

    @Test
    void missingImageRejectsTheTask() {
        Task t = Tasks.task("t2", "web", 1, "nope:1", TaskState.TASK_RUNNING);
        executor.reconcile(List.of(t));
        await(() -> lastState("t2") == TaskState.TASK_REJECTED);
        assertEquals("No such image: nope:1", last("t2").getStatus().getErr());
        assertEquals(0, engine.creates);
        executor.reconcile(List.of(t));
        settle();
        assertEquals(0, engine.creates, "a rejected task is not tried again");
    }

    @Test
    void digestPinnedReferenceOfALocalImageRunsFromItsLocalName() {
        Task t = Tasks.task("t3", "web", 1, "img:1@sha256:0123", TaskState.TASK_RUNNING);
        executor.reconcile(List.of(t));
        await(() -> lastState("t3") == TaskState.TASK_RUNNING);
        assertEquals("img:1", engine.byName("web.1.t3").config.image());
    }

    @Test
    void theLocalFormOfADigestPinnedReferenceIsRememberedForTheNextTasks() {
        Task first = Tasks.task("t3", "web", 1, "img:1@sha256:0123", TaskState.TASK_RUNNING);
        executor.reconcile(List.of(first));
        await(() -> lastState("t3") == TaskState.TASK_RUNNING);
        assertEquals(0, engine.refusedCreates, "the pinned reference's local form was looked up before the create");

        Task second = Tasks.task("t4", "web", 2, "img:1@sha256:0123", TaskState.TASK_RUNNING);
        executor.reconcile(List.of(first, second));
        await(() -> lastState("t4") == TaskState.TASK_RUNNING);
        assertEquals("img:1", engine.byName("web.2.t4").config.image());
        assertEquals(0, engine.refusedCreates, "the second went straight to the local form");

        engine.images.remove("img:1"); // the local image is gone: the next task is rejected as for any missing image
        Task third = Tasks.task("t5", "web", 3, "img:1@sha256:0123", TaskState.TASK_RUNNING);
        executor.reconcile(List.of(first, second, third));
        await(() -> lastState("t5") == TaskState.TASK_REJECTED);
        assertEquals("No such image: img:1@sha256:0123", last("t5").getStatus().getErr());
        engine.images.add("img:1@sha256:0123"); // and a pinned one made later is used as it is
        Task fourth = Tasks.task("t6", "web", 4, "img:1@sha256:0123", TaskState.TASK_RUNNING);
        executor.reconcile(List.of(first, second, third, fourth));
        await(() -> lastState("t6") == TaskState.TASK_RUNNING);
        assertEquals("img:1@sha256:0123", engine.byName("web.4.t6").config.image());
    }

    @Test
    void aBurstOfTasksOfANewPinnedReferenceLooksItUpOnceAndHasNoCreateRefused() {
        engine.images.add("img:2");
        Recording recording = new Recording(engine);
        // six workers, as the agent's: each took the first task it was given at once
        TaskReconciler burst = new TaskReconciler(recording, TaskNetworking.fixed("bridge"), () -> "node1",
                System::currentTimeMillis, 6, 10, Runnable::run);
        try {
            burst.onStatus(reported::add);
            List<Task> tasks = new java.util.ArrayList<>();
            for (int i = 1; i <= 12; i++) {
                tasks.add(Tasks.task("b" + i, "burst", i, "img:2@sha256:4567", TaskState.TASK_RUNNING));
            }
            burst.reconcile(tasks);
            await(() -> tasks.stream().allMatch(t -> lastState(t.getMeta().getId()) == TaskState.TASK_RUNNING));
            assertEquals(0, engine.refusedCreates, "no create refused");
            assertEquals(12, engine.creates);
            assertEquals(1, recording.calls.stream().filter("local img:2@sha256:4567"::equals).count(),
                    "one lookup for the twelve tasks: " + recording.calls);
            assertEquals("img:2", engine.byName("burst.7.b7").config.image());
        } finally {
            burst.close();
        }
    }

    @Test
    void deathWhileDesiredRunningFailsWithTheExitCode() {
        executor.reconcile(List.of(web));
        await(() -> lastState("t1") == TaskState.TASK_RUNNING);
        String id = engine.byName("web.1.t1").id;
        engine.exit(id, 137);
        executor.containerDied("t1", id, 137);
        await(() -> lastState("t1") == TaskState.TASK_FAILED);
        assertEquals("task: non-zero exit (137)", last("t1").getStatus().getErr());
        assertEquals(137, last("t1").getStatus().getContainer().getExitCode());
        assertNotNull(engine.byName("web.1.t1"), "the failed task's container is kept for its logs");
    }

    @Test
    void aSigkillSentToTheContainerFailsTheTaskBeforeItsDeathIsSeen() {
        String id = runningContainer(web);
        executor.containerKilled("t1", id); // docker rm -f: the kill event, the container still running
        await(() -> lastState("t1") == TaskState.TASK_FAILED);
        assertEquals("task: non-zero exit (137)", last("t1").getStatus().getErr());
        assertEquals(137, last("t1").getStatus().getContainer().getExitCode());
        engine.exit(id, 137);
        executor.containerDied("t1", id, 137);
        await(executor::idle);
        assertEquals(1, states("t1").stream().filter(s -> s == TaskState.TASK_FAILED).count(), "reported once");
    }

    @Test
    void aSigkillDoesNotFailATaskPublishingOnTheHostBeforeItsContainerDies() {
        Task hostPort = web.toBuilder().setEndpoint(io.flotilla.contracts.v1.Endpoint.newBuilder()
                .setSpec(io.flotilla.contracts.v1.EndpointSpec.newBuilder().addPorts(io.flotilla.contracts.v1.PortConfig
                        .newBuilder().setProtocol("tcp").setTargetPort(8080).setPublishedPort(8080)
                        .setPublishMode(io.flotilla.contracts.v1.PublishMode.PUBLISH_HOST)))).build();
        String id = runningContainer(hostPort);
        executor.containerKilled("t1", id);
        await(executor::idle);
        assertEquals(TaskState.TASK_RUNNING, lastState("t1"), "its replacement would find the port still taken");
        engine.exit(id, 137);
        executor.containerDied("t1", id, 137);
        await(() -> lastState("t1") == TaskState.TASK_FAILED);
        assertEquals(137, last("t1").getStatus().getContainer().getExitCode());
    }

    @Test
    void aSigkillOfATaskBeingShutDownIsNoFailure() {
        String id = runningContainer(web);
        executor.reconcile(List.of(Tasks.withDesired(web, TaskState.TASK_SHUTDOWN)));
        executor.containerKilled("t1", id); // the stop's grace ran out
        await(() -> lastState("t1") == TaskState.TASK_SHUTDOWN);
        await(executor::idle);
        assertTrue(!states("t1").contains(TaskState.TASK_FAILED), "reported: " + states("t1"));
    }

    /** Runs the task (t1, slot 1 of web) and waits until the executor is idle: its container's id. */
    private String runningContainer(Task t) {
        executor.reconcile(List.of(t));
        await(() -> lastState("t1") == TaskState.TASK_RUNNING);
        await(executor::idle);
        return engine.byName("web.1.t1").id;
    }

    @Test
    void containerRemovedByAUserIsSeenAsItsDeath() {
        executor.reconcile(List.of(web));
        await(() -> lastState("t1") == TaskState.TASK_RUNNING);
        String id = engine.byName("web.1.t1").id;
        engine.remove(id);
        executor.containerDied("t1", id, 137);
        await(() -> lastState("t1") == TaskState.TASK_FAILED);
        assertEquals("task: non-zero exit (137)", last("t1").getStatus().getErr());
    }

    @Test
    void aDeathIsReportedWithItsExitCodeWhileTheEngineIsStillBusyRemovingTheContainer() throws Exception {
        java.util.concurrent.CountDownLatch removing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
        ContainerRuntime slowRemoval = new ForwardingRuntime(engine) {
            private void waitIfBusy() {
                if (busy.get()) {
                    try {
                        removing.await(); // docker rm -f: inspect and list wait for the removal to end
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public List<ObservedContainer> listTaskContainers(String nodeId) {
                waitIfBusy();
                return super.listTaskContainers(nodeId);
            }

            @Override
            public java.util.Optional<ObservedContainer> findByTask(String taskId) {
                waitIfBusy();
                return super.findByTask(taskId);
            }

            @Override
            public java.util.Optional<ObservedContainer> inspect(String containerId) {
                waitIfBusy();
                return super.inspect(containerId);
            }
        };
        TaskReconciler ex = new TaskReconciler(slowRemoval, TaskNetworking.fixed("bridge"), () -> "node1",
                System::currentTimeMillis, 2, 10, Runnable::run);
        ex.onStatus(reported::add);
        try {
            ex.reconcile(List.of(web));
            await(() -> lastState("t1") == TaskState.TASK_RUNNING);
            await(ex::idle);
            String id = engine.byName("web.1.t1").id;
            busy.set(true);
            engine.remove(id);
            ex.containerDied("t1", id, 137);

            await(() -> lastState("t1") == TaskState.TASK_FAILED);
            assertEquals("task: non-zero exit (137)", last("t1").getStatus().getErr());
            assertEquals(137, last("t1").getStatus().getContainer().getExitCode());
            removing.countDown();
            await(ex::idle);
            assertEquals(1, states("t1").stream().filter(s -> s == TaskState.TASK_FAILED).count(), "reported once");
        } finally {
            removing.countDown();
            ex.close();
        }
    }

    @Test
    void shutdownStopsAndKeepsTheContainerUnassignedRemovesIt() {
        executor.reconcile(List.of(web));
        await(() -> lastState("t1") == TaskState.TASK_RUNNING);
        executor.reconcile(List.of(Tasks.withDesired(web, TaskState.TASK_SHUTDOWN)));
        await(() -> lastState("t1") == TaskState.TASK_SHUTDOWN);
        InMemoryRuntime.Box box = engine.byName("web.1.t1");
        assertEquals(ObservedContainer.Phase.EXITED, box.phase);
        assertEquals(1, box.stops);

        executor.reconcile(List.of());
        await(() -> engine.byName("web.1.t1") == null);
        settle();
        assertTrue(executor.currentStatuses().isEmpty(), "a task no longer assigned is forgotten");
    }

    @Test
    void adoptsItsContainersAndRemovesThoseOfTasksNoLongerAssigned() {
        String kept = engine.add(TaskContainers.configFor(web, "node1", "bridge"), true);
        Task old = Tasks.task("t9", "web", 2, "img:1", TaskState.TASK_RUNNING);
        engine.add(TaskContainers.configFor(old, "node1", "bridge"), true);
        Task foreign = Tasks.task("t8", "web", 3, "img:1", TaskState.TASK_RUNNING);
        engine.add(TaskContainers.configFor(foreign, "node2", "bridge"), true);
        int createsBefore = engine.creates;

        executor.reconcile(List.of(web));
        await(() -> lastState("t1") == TaskState.TASK_RUNNING && engine.byName("web.2.t9") == null);
        assertEquals(createsBefore, engine.creates, "adopted, not recreated");
        assertEquals(List.of(TaskState.TASK_RUNNING), states("t1"));
        assertEquals(kept, last("t1").getStatus().getContainer().getContainerId());
        assertNotNull(engine.byName("web.3.t8"), "another node's container is left alone");
        assertTrue(states("t9").isEmpty());
        executor.reconcile(List.of(web));
        settle();
        assertEquals(List.of("adopt t1"), networked, "the networking learns the adopted container once");
    }

    @Test
    void nameConflictRejectsWithTheEnginesMessage() {
        engine.add(new ContainerConfig("web.1.t1", "img:1", List.of(), List.of(), List.of(),
                java.util.Map.of(), "", "", "", false, 0, 0, "bridge"), false);
        executor.reconcile(List.of(web));
        await(() -> lastState("t1") == TaskState.TASK_REJECTED);
        assertTrue(last("t1").getStatus().getErr().contains("already in use"));
    }

    @Test
    void anAssignedTaskIsCreatedWithoutASearchAndOneMadeBeforeIsTakenOver() {
        List<String> finds = new CopyOnWriteArrayList<>();
        ContainerRuntime recording = new ForwardingRuntime(engine) {
            @Override
            public java.util.Optional<ObservedContainer> findByTask(String taskId) {
                finds.add(taskId);
                return super.findByTask(taskId);
            }
        };
        TaskReconciler ex = new TaskReconciler(recording, TaskNetworking.fixed("bridge"), () -> "node1",
                System::currentTimeMillis, 1, 10, Runnable::run);
        ex.onStatus(reported::add);
        try {
            Task fresh = Tasks.assigned(Tasks.task("a1", "web", 1, "img:1", TaskState.TASK_RUNNING));
            ex.reconcile(List.of(fresh));
            await(() -> lastState("a1") == TaskState.TASK_RUNNING);
            assertEquals(List.of(TaskState.TASK_PREPARING, TaskState.TASK_STARTING, TaskState.TASK_RUNNING),
                    states("a1"));
            assertTrue(finds.isEmpty(), "searched for: " + finds);

            // made by an earlier agent whose preparing report was lost: its own container is taken over
            Task before = Tasks.assigned(Tasks.task("a2", "web", 2, "img:1", TaskState.TASK_RUNNING));
            String made = engine.add(TaskContainers.configFor(before, "node1", "bridge"), false);
            int creates = engine.creates;
            ex.reconcile(List.of(fresh, before));
            await(() -> lastState("a2") == TaskState.TASK_RUNNING);
            assertEquals(made, last("a2").getStatus().getContainer().getContainerId());
            assertEquals(creates, engine.creates, "not made twice");
            assertEquals(ObservedContainer.Phase.RUNNING, engine.byName("web.2.a2").phase);
        } finally {
            ex.close();
        }
    }

    @Test
    void networkingSeamIsCalledBeforeRunningAndItsFailureFailsTheTask() {
        TaskReconciler failing = new TaskReconciler(engine, new TaskNetworking() {
            @Override
            public String networkMode(Task task) {
                return "none";
            }

            @Override
            public void attach(Task task, ObservedContainer c) {
                throw new IllegalStateException("no overlay");
            }
        }, () -> "node1", System::currentTimeMillis, 1, 10, Runnable::run);
        try {
            failing.onStatus(reported::add);
            failing.reconcile(List.of(web));
            await(() -> lastState("t1") == TaskState.TASK_FAILED);
            assertEquals("network attachment failed: no overlay", last("t1").getStatus().getErr());
            assertEquals("none", engine.byName("web.1.t1").config.networkMode());
        } finally {
            failing.close();
        }
    }

    @Test
    void aNewTaskIsCreatedWithoutLookingAtTheRunningOnesAgain() {
        Recording recording = new Recording(engine);
        List<String> calls = recording.calls;
        // one worker: the order of the queue is the order of the work
        TaskReconciler one = new TaskReconciler(recording, TaskNetworking.fixed("bridge"), () -> "node1",
                System::currentTimeMillis, 1, 10, Runnable::run);
        one.onStatus(reported::add);
        try {
            List<Task> running = new java.util.ArrayList<>();
            for (int i = 1; i <= 8; i++) {
                running.add(Tasks.task("r" + i, "web", i, "img:1", TaskState.TASK_RUNNING));
            }
            one.reconcile(running);
            await(() -> running.stream().allMatch(t -> lastState(t.getMeta().getId()) == TaskState.TASK_RUNNING));
            await(one::idle);
            calls.clear();

            // slot 9's task is new: its container is made; the eight running ones are not inspected again
            List<Task> next = new java.util.ArrayList<>(running);
            next.add(Tasks.task("n9", "web", 9, "img:1", TaskState.TASK_RUNNING));
            one.reconcile(next);
            await(() -> lastState("n9") == TaskState.TASK_RUNNING);
            await(one::idle);
            assertTrue(calls.contains("create n9"), "n9 created: " + calls);
            assertEquals(0, calls.stream().filter(c -> c.startsWith("inspect r") || c.startsWith("find r")).count(),
                    "running tasks looked at again: " + calls);

            // after a gap in the engine's event stream every one of them is looked at again
            calls.clear();
            one.resync();
            await(one::idle);
            assertEquals(9, calls.stream().filter(c -> c.startsWith("inspect ")).distinct().count(),
                    "resync looks at all: " + calls);
        } finally {
            one.close();
        }
    }

    @Test
    void aTaskWhoseOnlyChangeIsItsStoredStatusIsNotLookedAtAgain() throws Exception {
        java.util.concurrent.CountDownLatch starting = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Recording recording = new Recording(engine) {
            @Override
            public void start(String containerId) {
                starting.countDown();
                try {
                    release.await(5, java.util.concurrent.TimeUnit.SECONDS); // the first start holds its worker
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.start(containerId);
            }
        };
        List<String> calls = recording.calls;
        TaskReconciler two = new TaskReconciler(recording, TaskNetworking.fixed("bridge"), () -> "node1",
                System::currentTimeMillis, 2, 10, Runnable::run);
        two.onStatus(reported::add);
        try {
            Task a1 = Tasks.task("a1", "web", 1, "img:1", TaskState.TASK_RUNNING);
            Task a2 = Tasks.task("a2", "web", 2, "img:1", TaskState.TASK_RUNNING);
            Task a3 = Tasks.task("a3", "web", 3, "img:1", TaskState.TASK_RUNNING);
            two.reconcile(List.of(Tasks.assigned(a1)));
            assertTrue(starting.await(5, java.util.concurrent.TimeUnit.SECONDS));
            // while a1 starts, the manager sends the sets of its next placements, with a1's reports stored
            two.reconcile(List.of(stored(a1, TaskState.TASK_PREPARING, 7), Tasks.assigned(a2)));
            two.reconcile(List.of(stored(a1, TaskState.TASK_STARTING, 9), stored(a2, TaskState.TASK_PREPARING, 10),
                    Tasks.assigned(a3)));
            release.countDown();
            await(() -> List.of("a1", "a2", "a3").stream().allMatch(id -> lastState(id) == TaskState.TASK_RUNNING));
            await(two::idle);
            assertEquals(1, calls.stream().filter("inspect a1"::equals).count(), "a1 inspected once, after its start: " + calls);

            // running: a set with the running statuses stored and a new task looks at the new one only
            calls.clear();
            Task a4 = Tasks.task("a4", "web", 4, "img:1", TaskState.TASK_RUNNING);
            two.reconcile(List.of(stored(a1, TaskState.TASK_RUNNING, 11), stored(a2, TaskState.TASK_RUNNING, 12),
                    stored(a3, TaskState.TASK_RUNNING, 13), Tasks.assigned(a4)));
            await(() -> lastState("a4") == TaskState.TASK_RUNNING);
            await(two::idle);
            assertEquals(List.of(), calls.stream().filter(c -> !c.endsWith(" a4")).toList(), "running tasks looked at again");

            // a change beyond the status is acted on: a1 to shut down
            two.reconcile(List.of(Tasks.withDesired(stored(a1, TaskState.TASK_RUNNING, 11), TaskState.TASK_SHUTDOWN),
                    stored(a2, TaskState.TASK_RUNNING, 12), stored(a3, TaskState.TASK_RUNNING, 13),
                    stored(a4, TaskState.TASK_RUNNING, 14)));
            await(() -> lastState("a1") == TaskState.TASK_SHUTDOWN);
        } finally {
            two.close();
        }
    }

    /**
     * Records the engine calls that look for or at a task's container, the creates and the image lookups: "find t1",
     * "inspect t1", "create t1", "local img:1".
     */
    private static class Recording extends ForwardingRuntime {
        final List<String> calls = new CopyOnWriteArrayList<>();

        Recording(ContainerRuntime to) {
            super(to);
        }

        @Override
        public java.util.Optional<ObservedContainer> findByTask(String taskId) {
            calls.add("find " + taskId);
            return super.findByTask(taskId);
        }

        @Override
        public java.util.Optional<ObservedContainer> inspect(String containerId) {
            java.util.Optional<ObservedContainer> c = super.inspect(containerId);
            calls.add("inspect " + c.map(ObservedContainer::taskId).orElse(containerId));
            return c;
        }

        @Override
        public String create(ContainerConfig config) {
            calls.add("create " + config.labels().get(TaskContainers.LABEL_TASK_ID));
            return super.create(config);
        }

        @Override
        public java.util.Optional<String> localImage(String image) {
            calls.add("local " + image);
            return super.localImage(image);
        }
    }

    /** The task as the manager sends it after storing a status its agent reported (a new version). */
    private static Task stored(Task t, TaskState state, long version) {
        return t.toBuilder().setStatus(io.flotilla.contracts.v1.TaskStatus.newBuilder().setState(state).setTimestampMs(version))
                .setMeta(t.getMeta().toBuilder().setVersion(version).setUpdatedAtMs(version)).build();
    }

    private List<TaskState> states(String id) {
        return reported.stream().filter(u -> u.getTaskId().equals(id)).map(u -> u.getStatus().getState())
                .collect(Collectors.toList());
    }

    private TaskStatusUpdate last(String id) {
        TaskStatusUpdate last = null;
        for (TaskStatusUpdate u : reported) {
            if (u.getTaskId().equals(id)) {
                last = u;
            }
        }
        return last;
    }

    private TaskState lastState(String id) {
        TaskStatusUpdate u = last(id);
        return u == null ? null : u.getStatus().getState();
    }

    private void settle() {
        await(executor::idle);
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        await(executor::idle);
    }

    private static void await(BooleanSupplier condition) {
        long end = System.currentTimeMillis() + 5_000;
        while (System.currentTimeMillis() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        fail("condition not met within 5 s");
    }

}
