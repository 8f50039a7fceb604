package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.contracts.v1.TaskStatusUpdate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The executor's loop, engine-neutral: keeps the assignment set, reconciles each task by id behind a
 * de-duplicating work queue ({@link TaskDecider} decides, this class acts through a
 * {@link ContainerRuntime}), and reports every observed change. Stops (which may wait out a grace
 * period) run on their own executor so they never hold a worker; the task's key re-enters the queue
 * when the stop is over.
 */
public final class TaskReconciler implements TaskExecutor, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TaskReconciler.class.getName());
    /** The key of the sweep that looks for containers of tasks that are no longer assigned. */
    static final String SWEEP = "*sweep*";
    private static final int MAX_STEPS = 8;
    /** A process ended by SIGKILL: 128 + 9, as the engine reports it. */
    static final int KILLED_EXIT_CODE = 137;
    /** The task id, service name and container name of the warm-up, which no task or container has. */
    static final String WARM_UP_ID = "flotilla-warm-up";
    /** An image reference that no host has (an invalid host name as its registry, so nothing can be pulled). */
    static final String WARM_UP_IMAGE = "flotilla-warm-up.invalid/no-such-image:none";

    /** What this executor knows about one task. */
    private static final class Tracked {
        final String taskId;
        volatile Task task;
        volatile String containerId;
        volatile TaskStatus last;
        volatile Integer diedWith;
        volatile boolean stopping;
        /** Its running container is known to the networking (attached after start, or adopted). */
        volatile boolean networked;
        ObservedContainer afterStart;

        Tracked(String taskId) {
            this.taskId = taskId;
        }
    }

    private final ContainerRuntime runtime;
    private final TaskNetworking networking;
    private final Supplier<String> nodeId;
    private final LongSupplier clock;
    private final int defaultGraceSeconds;
    private final Executor stopper;
    private final KeyedWorkQueue queue;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    /**
     * A task's image reference that the engine knows only in another form (a digest-pinned reference of an image
     * made here: its name and tag) -> that form, so that the next task's create goes straight to it. Each task's
     * create was first refused ("No such image") and then made after two image lookups: three engine calls more
     * on every container's path, a replacement's included. A pinned reference not seen before is looked up once,
     * before its first create ({@link #localForm}).
     */
    private final Map<String, String> localForms = new ConcurrentHashMap<>();
    private volatile Map<String, Task> assignment;
    private volatile Consumer<TaskStatusUpdate> sink = u -> { };

    public TaskReconciler(ContainerRuntime runtime, TaskNetworking networking, Supplier<String> nodeId,
                          LongSupplier clock, int workers, int defaultGraceSeconds, Executor stopper) {
        this.runtime = runtime;
        this.networking = networking;
        this.nodeId = nodeId;
        this.clock = clock;
        this.defaultGraceSeconds = defaultGraceSeconds;
        this.stopper = stopper;
        this.queue = new KeyedWorkQueue("executor", workers, 200, 10_000, this::handle);
    }

    /**
     * Takes a new assignment set. The tasks that are new or changed (a replacement to start, a task to stop)
     * are queued first, then those no longer assigned, then the unchanged ones that are not settled, which are
     * only looked at again. An unchanged task whose container runs and is networked is not inspected again:
     * its container's death comes as an engine event (and after a gap in the event stream every task is
     * looked at again, {@link #resync}). Re-inspecting every running task at each new set made a scale-up
     * quadratic in engine calls: a node given 17 tasks one batch at a time inspected its running ones over
     * and over while it started the rest. A task whose only change is its status and version (the manager
     * stored this agent's own reports) is unchanged, and one being started or waiting for it is not queued
     * again: its handling reads the newest set. Before, each set that came while a node started its tasks cost an
     * inspect more of every task in flight (inspects were a fifth of the agents' profile samples in a 50-replica
     * create, the one after each start included).
     */
    @Override
    public void reconcile(List<Task> assigned) {
        Map<String, Task> next = new HashMap<>();
        List<String> unchanged = new ArrayList<>();
        for (Task t : assigned) {
            next.put(t.getMeta().getId(), t);
        }
        assignment = Map.copyOf(next);
        for (Task t : assigned) {
            String id = t.getMeta().getId();
            Tracked known = tracked.get(id);
            if (known != null && sameButStatus(t, known.task)) {
                if (!settled(known)) {
                    unchanged.add(id);
                }
            } else {
                queue.add(id);
            }
        }
        for (String id : tracked.keySet()) {
            if (!next.containsKey(id)) {
                queue.add(id);
            }
        }
        unchanged.forEach(queue::addIfIdle);
        queue.add(SWEEP);
    }

    /**
     * The same task but for its status and its version (the store's index and time of its last change): what
     * changes when the manager stores this agent's own reports, and nothing to act on (the dispatcher compares
     * whole sets the same way before it sends one; swarmkit's {@code TasksEqualStable}).
     */
    static boolean sameButStatus(Task a, Task b) {
        return b != null && (a.equals(b) || withoutStatus(a).equals(withoutStatus(b)));
    }

    private static Task withoutStatus(Task t) {
        return t.toBuilder().clearStatus().setMeta(t.getMeta().toBuilder().clearVersion().clearUpdatedAtMs()).build();
    }

    /** Running as assigned, networked, not dying, not being stopped: nothing to do until something changes. */
    private static boolean settled(Tracked t) {
        TaskStatus last = t.last;
        return last != null && last.getState() == TaskState.TASK_RUNNING && t.diedWith == null && !t.stopping
                && t.networked && t.containerId != null;
    }

    @Override
    public void onStatus(Consumer<TaskStatusUpdate> sink) {
        this.sink = sink == null ? u -> { } : sink;
    }

    @Override
    public List<TaskStatusUpdate> currentStatuses() {
        List<TaskStatusUpdate> out = new ArrayList<>();
        for (Tracked t : tracked.values()) {
            TaskStatus s = t.last;
            if (s != null) {
                out.add(TaskStatusUpdate.newBuilder().setTaskId(t.taskId).setStatus(s).build());
            }
        }
        return out;
    }

    /** The engine saw a task's container die (event stream); reconciled at once. */
    public void containerDied(String taskId, String containerId, Integer exitCode) {
        if (assignment == null || taskId == null || taskId.isEmpty()) {
            return;
        }
        LOG.fine(() -> "task " + taskId + ": container " + containerId + " died (" + exitCode + ")");
        Tracked t = tracked.get(taskId);
        if (t != null && exitCode != null && (t.containerId == null || t.containerId.equals(containerId))) {
            t.diedWith = exitCode;
        }
        queue.add(taskId);
    }

    /**
     * The engine sent a task's container SIGKILL (its kill event with signal 9: docker rm -f, docker kill, a stop
     * whose grace ran out), which no process survives; its die event follows 25-30 ms later on the lab. A task
     * desired running is reported failed with exit 137 at once, so that its replacement starts that much sooner.
     * Not one that publishes a port on the host: its replacement on this node would find the port still held by
     * the dying container; its die event ends it as before. A stop of this executor's own is not a failure (the
     * task is stopping, or no longer desired running: see {@link #containerDied}'s handling).
     */
    public void containerKilled(String taskId, String containerId) {
        Map<String, Task> current = assignment;
        Task task = current == null || taskId == null ? null : current.get(taskId);
        if (task == null || TaskContainers.publishesOnHost(task)) {
            return;
        }
        containerDied(taskId, containerId, KILLED_EXIT_CODE);
    }

    /** Look at every task again (after the event stream was re-established, events may have been lost). */
    public void resync() {
        if (assignment == null) {
            return;
        }
        assignment.keySet().forEach(queue::add);
        tracked.keySet().forEach(queue::add);
        queue.add(SWEEP);
    }

    /**
     * Goes once through the engine calls of a task's start with names that do not exist: the container's
     * create (its image is missing: refused with "No such image", nothing is made), the local image lookup,
     * a start, an inspect and a search by task. A new executor's first task paid for loading and
     * interpreting that code: on the lab (load 15) its create took 473 ms and its inspect 277 ms, against 77
     * and 5 ms for the next task's. Should the image exist after all, the container it made is removed.
     */
    public void warmUp() {
        warmUp(runtime, networking);
    }

    /** {@link #warmUp()} on any runtime, also before there is an executor (the agent's start). */
    public static void warmUp(ContainerRuntime runtime, TaskNetworking networking) {
        Task probe = Task.newBuilder().setMeta(Meta.newBuilder().setId(WARM_UP_ID)).setServiceName(WARM_UP_ID)
                .setSlot(1).setSpec(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage(WARM_UP_IMAGE)))
                .build();
        long t0 = System.nanoTime();
        try {
            ContainerConfig config = TaskContainers.configFor(probe, WARM_UP_ID, networking.networkMode(probe));
            try {
                runtime.remove(runtime.create(config));
            } catch (ImageNotFoundException expected) {
                runtime.localImage(config.image());
            }
            try {
                runtime.start(WARM_UP_ID);
            } catch (ContainerRuntimeException expected) {
                // no such container
            }
            runtime.inspect(WARM_UP_ID);
            runtime.findByTask(WARM_UP_ID);
            LOG.fine(() -> "executor warmed up in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (RuntimeException e) {
            LOG.fine(() -> "executor warm-up: " + e.getMessage());
        }
    }

    /** True when no work is queued or running (stops in flight are not counted). */
    public boolean idle() {
        return queue.idle();
    }

    @Override
    public void close() {
        queue.close();
    }

    private void handle(String key) {
        if (SWEEP.equals(key)) {
            sweep();
        } else {
            reconcileTask(key);
        }
    }

    private void sweep() {
        Map<String, Task> current = assignment;
        if (current == null) {
            return;
        }
        for (ObservedContainer c : runtime.listTaskContainers(nodeId.get())) {
            if (c.taskId() == null || current.containsKey(c.taskId())) {
                continue;
            }
            Tracked t = tracked.computeIfAbsent(c.taskId(), Tracked::new);
            if (t.containerId == null) {
                t.containerId = c.id();
            }
            queue.add(c.taskId());
        }
    }

    private void reconcileTask(String id) {
        Map<String, Task> current = assignment;
        if (current == null) {
            return;
        }
        Task task = current.get(id);
        Tracked t = task != null ? tracked.computeIfAbsent(id, Tracked::new) : tracked.get(id);
        if (t == null) {
            return;
        }
        if (task != null) {
            t.task = task;
        }
        if (t.stopping) {
            return;
        }
        Integer died = t.diedWith;
        TaskStatus last = t.last;
        if (task != null && died != null && task.getDesiredStateValue() <= TaskState.TASK_RUNNING_VALUE
                && last != null && last.getState().getNumber() >= TaskState.TASK_STARTING_VALUE
                && !TaskStatuses.terminal(last.getState())) {
            // the engine's die event is the end of the container: reported at once, not after an inspect, which
            // waits out a removal in progress (docker rm -f) for 100 ms and more
            report(t, TaskStatuses.exited(clock.getAsLong(), t.containerId, died));
        }
        ObservedContainer known = null; // what the last action left, so it need not be inspected again
        for (int step = 0; step < MAX_STEPS; step++) {
            ObservedContainer c = known != null ? known : observe(t);
            known = null;
            TaskDecider.Decision d = TaskDecider.decide(task, c,
                    new TaskDecider.Known(t.last, t.diedWith, t.containerId), clock.getAsLong());
            if (d.report() != null) {
                report(t, d.report());
            }
            switch (d.action()) {
                case NONE:
                    if (task != null && c != null && c.running() && !t.networked) {
                        // a container found running (agent restart): the networking learns it again
                        t.networked = true;
                        try {
                            networking.adopt(task, c);
                        } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "networking of adopted task " + id + ": " + e.getMessage());
                        }
                    }
                    return;
                case FORGET:
                    tracked.remove(id, t);
                    return;
                case CREATE:
                    known = create(task, t);
                    if (known == null) {
                        return;
                    }
                    break;
                case START:
                    if (!start(task, t, c)) {
                        return;
                    }
                    known = t.afterStart;
                    t.afterStart = null;
                    break;
                case STOP:
                    stopAsync(t, c.id(), TaskContainers.stopGraceSeconds(task, defaultGraceSeconds), false);
                    return;
                case REMOVE:
                    if (c.running()) {
                        stopAsync(t, c.id(), TaskContainers.stopGraceSeconds(t.task, defaultGraceSeconds), true);
                        return;
                    }
                    runtime.remove(c.id());
                    t.containerId = null;
                    break;
                default:
                    throw new IllegalStateException("unknown action " + d.action());
            }
        }
        LOG.warning("task " + id + " did not settle in " + MAX_STEPS + " steps; will look again");
        queue.add(id);
    }

    private ObservedContainer observe(Tracked t) {
        String known = t.containerId;
        if (known != null) {
            Optional<ObservedContainer> c = runtime.inspect(known);
            if (c.isPresent()) {
                return c.get();
            }
        } else if (t.last == null && unprepared(t.task)) {
            // a task the manager has only assigned and this agent never reported on has no container yet: no
            // search (a list call, 10-15 ms on the lab, on a replacement's critical path). Should an earlier agent
            // have made it after all (its preparing report lost), the create's name conflict finds it.
            return null;
        }
        Optional<ObservedContainer> c = runtime.findByTask(t.taskId);
        c.ifPresent(o -> t.containerId = o.id());
        return c.orElse(null);
    }

    /** Assigned and never reported as preparing or beyond (as the manager has it). */
    private static boolean unprepared(Task task) {
        return task != null && task.hasStatus()
                && task.getStatus().getState().getNumber() < TaskState.TASK_PREPARING_VALUE;
    }

    /** Creates the task's container; null (with the task rejected) if it cannot be created. */
    private ObservedContainer create(Task task, Tracked t) {
        TaskStatus last = t.last;
        if (last == null || last.getState() != TaskState.TASK_PREPARING) {
            report(t, TaskStatuses.preparing(clock.getAsLong()));
        }
        ContainerConfig config = TaskContainers.configFor(task, nodeId.get(), networking.networkMode(task));
        String image = config.image();
        String known = localForm(image);
        String containerId;
        long t0 = System.nanoTime();
        try {
            containerId = runtime.create(known == null ? config : config.withImage(known));
        } catch (NameInUseException e) {
            // made before (see observe): carry on with the task's own container, or reject if the name is another's
            Optional<ObservedContainer> existing = runtime.findByTask(t.taskId);
            if (existing.isEmpty()) {
                report(t, TaskStatuses.rejected(clock.getAsLong(), e.getMessage()));
                return null;
            }
            t.containerId = existing.get().id();
            return existing.get();
        } catch (ImageNotFoundException e) {
            // maybe a digest-pinned reference to an image made here: the runtime may know a local form (and the
            // one known before may be gone)
            if (known != null) {
                localForms.remove(image, known);
            }
            Optional<String> local = runtime.localImage(image);
            if (local.isEmpty() || known == null && local.get().equals(image)) {
                report(t, TaskStatuses.noSuchImage(clock.getAsLong(), image));
                return null;
            }
            try {
                containerId = runtime.create(config.withImage(local.get()));
                if (!local.get().equals(image)) {
                    localForms.put(image, local.get());
                }
            } catch (ContainerRuntimeException again) {
                report(t, TaskStatuses.rejected(clock.getAsLong(), again.getMessage()));
                return null;
            }
        } catch (ContainerRuntimeException e) {
            report(t, TaskStatuses.rejected(clock.getAsLong(), e.getMessage()));
            return null;
        }
        t.containerId = containerId;
        LOG.fine(() -> "task " + t.taskId + ": created in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        return new ObservedContainer(containerId, t.taskId, ObservedContainer.Phase.CREATED, 0, 0, 0, 0);
    }

    /**
     * The form in which the engine knows a task's image, if it is known to differ or was looked up: null for a
     * reference that is not pinned by digest (created as it is). A pinned one not seen before is looked up once,
     * before its first create, by one worker while the others wait: the workers of a burst all had their first
     * create refused before (six refusals and twelve image lookups for a node's first 17 tasks on the lab).
     */
    private String localForm(String image) {
        String known = localForms.get(image);
        if (known != null || image.indexOf('@') <= 0) {
            return known;
        }
        try {
            return localForms.computeIfAbsent(image, i -> runtime.localImage(i).orElse(null));
        } catch (ContainerRuntimeException e) {
            return null; // the create tries the reference as it is, and looks again if it is refused
        }
    }

    private boolean start(Task task, Tracked t, ObservedContainer c) {
        report(t, TaskStatuses.starting(clock.getAsLong(), c.id()));
        long t0 = System.nanoTime();
        try {
            runtime.start(c.id());
        } catch (ContainerRuntimeException e) {
            report(t, TaskStatuses.failed(clock.getAsLong(), c.id(), "starting container failed: " + e.getMessage()));
            return false;
        }
        long t1 = System.nanoTime();
        Optional<ObservedContainer> after = runtime.inspect(c.id());
        LOG.fine(() -> "task " + t.taskId + ": started in " + (t1 - t0) / 1_000_000 + " ms, inspected in "
                + (System.nanoTime() - t1) / 1_000_000 + " ms");
        t.afterStart = after.orElse(null);
        if (after.isPresent() && after.get().running()) {
            try {
                networking.attach(task, after.get());
                t.networked = true;
            } catch (RuntimeException e) {
                runtime.stop(c.id(), 0);
                report(t, TaskStatuses.failed(clock.getAsLong(), c.id(), "network attachment failed: " + e.getMessage()));
                return false;
            }
        }
        return true;
    }

    private void stopAsync(Tracked t, String containerId, int graceSeconds, boolean thenRemove) {
        t.stopping = true;
        stopper.execute(() -> {
            try {
                runtime.stop(containerId, graceSeconds);
                if (thenRemove) {
                    runtime.remove(containerId);
                    t.containerId = null;
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "stopping container " + containerId + " of task " + t.taskId
                        + " failed: " + e.getMessage());
                sleepQuietly(1000);
            } finally {
                t.stopping = false;
                queue.add(t.taskId);
            }
        });
    }

    private void report(Tracked t, TaskStatus status) {
        t.last = status;
        LOG.fine(() -> "task " + t.taskId + ": " + status.getState());
        try {
            sink.accept(TaskStatusUpdate.newBuilder().setTaskId(t.taskId).setStatus(status).build());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "status sink failed for task " + t.taskId, e);
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
