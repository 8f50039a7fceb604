package io.flotilla.agent.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DockerClientConfig;
import io.flotilla.agent.exec.TaskExecutor;
import io.flotilla.agent.exec.TaskNetworking;
import io.flotilla.agent.exec.TaskReconciler;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskStatusUpdate;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/** The executor wired to one dockerd: the reconciler, its docker-java runtime and the die-event watcher. */
public final class DockerExecution implements TaskExecutor, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DockerExecution.class.getName());

    private final DockerClient docker;
    private final TaskReconciler reconciler;
    private final DockerEventWatcher watcher;
    private final ExecutorService stopper;

    private DockerExecution(DockerClient docker, TaskReconciler reconciler, DockerEventWatcher watcher,
                            ExecutorService stopper) {
        this.docker = docker;
        this.reconciler = reconciler;
        this.watcher = watcher;
        this.stopper = stopper;
    }

    /**
     * A client of one dockerd and the mapper that decodes its answers; {@code warmed} once a task's engine calls and
     * answers went through them ({@link #warmedEngine}).
     */
    public record Engine(DockerClient docker, ObjectMapper mapper, boolean warmed) {
    }

    /** A client of the dockerd at {@code socket}, not warmed up. */
    public static Engine engine(String socket) {
        ObjectMapper mapper = DockerClientConfig.getDefaultObjectMapper();
        return new Engine(DockerContainerRuntime.connect(socket, mapper), mapper, false);
    }

    /**
     * A client of the dockerd at {@code socket} that has been once through a task's engine calls (with names that
     * do not exist: {@link TaskReconciler#warmUp(io.flotilla.agent.exec.ContainerRuntime, TaskNetworking)}) and
     * answers: what an executor opened on it then does no more at its first task.
     */
    public static Engine warmedEngine(String socket, TaskNetworking networking) {
        long t0 = System.nanoTime();
        Engine e = engine(socket);
        warmUp(e, networking);
        LOG.info(() -> "executor's engine calls warmed up in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        return new Engine(e.docker(), e.mapper(), true);
    }

    /** The engine's answers decoded once with its mapper, and a task's engine calls made once through its client. */
    private static void warmUp(Engine e, TaskNetworking networking) {
        warmUpDecoding(e.mapper());
        TaskReconciler.warmUp(new DockerContainerRuntime(e.docker()), networking);
    }

    /** Connects to the dockerd at {@code socket} and starts following its events. */
    public static DockerExecution open(String socket, Supplier<String> nodeId, TaskNetworking networking,
                                       int workers, int defaultGraceSeconds) {
        return open(engine(socket), nodeId, networking, workers, defaultGraceSeconds);
    }

    /**
     * Starts following the events of the engine's dockerd; an engine not warmed up yet goes through a task's calls
     * once, off the caller's thread.
     */
    public static DockerExecution open(Engine engine, Supplier<String> nodeId, TaskNetworking networking,
                                       int workers, int defaultGraceSeconds) {
        DockerClient docker = engine.docker();
        AtomicInteger n = new AtomicInteger();
        ExecutorService stopper = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "executor-stop-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        TaskReconciler reconciler = new TaskReconciler(new DockerContainerRuntime(docker), networking, nodeId,
                System::currentTimeMillis, workers, defaultGraceSeconds, stopper);
        DockerEventWatcher watcher = new DockerEventWatcher(docker, new DockerEventWatcher.Listener() {
            @Override
            public void died(String taskId, String containerId, Integer exitCode) {
                reconciler.containerDied(taskId, containerId, exitCode);
            }

            @Override
            public void killed(String taskId, String containerId) {
                reconciler.containerKilled(taskId, containerId);
            }

            @Override
            public void resubscribed() {
                reconciler.resync();
            }
        }, 250, 5_000);
        watcher.start();
        if (!engine.warmed()) {
            stopper.execute(() -> warmUp(engine, networking)); // off the caller's thread: the first assignments go on
        }
        return new DockerExecution(docker, reconciler, watcher, stopper);
    }

    /** The engine's answers on a task's path decoded once with the client's mapper ({@link EngineAnswers}). */
    static void warmUpDecoding(ObjectMapper mapper) {
        long t0 = System.nanoTime();
        try {
            EngineAnswers.decodeSamples(mapper);
            LOG.fine(() -> "engine answers decoded in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (IOException | RuntimeException e) {
            LOG.fine(() -> "engine answer samples: " + e);
        }
    }

    @Override
    public void reconcile(List<Task> assigned) {
        reconciler.reconcile(assigned);
    }

    @Override
    public void onStatus(Consumer<TaskStatusUpdate> sink) {
        reconciler.onStatus(sink);
    }

    @Override
    public List<TaskStatusUpdate> currentStatuses() {
        return reconciler.currentStatuses();
    }

    public TaskReconciler reconciler() {
        return reconciler;
    }

    @Override
    public void close() {
        watcher.close();
        reconciler.close();
        stopper.shutdownNow();
        try {
            docker.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
