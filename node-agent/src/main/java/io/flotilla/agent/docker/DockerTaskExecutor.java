package io.flotilla.agent.docker;

import io.flotilla.agent.exec.TaskExecutor;
import io.flotilla.agent.exec.TaskNetworking;
import io.flotilla.agent.swarm.SwarmState;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The node's {@link TaskExecutor}: the host's dockerd (flotilla.docker-socket). The executor (its reconciler and
 * the engine's event stream) opens on the first assignment, so an agent that is not in a swarm acts on no
 * container. An agent that starts in no swarm warms up the executor's engine client at its start
 * (flotilla.executor.warm-up-at-start): a task's engine calls with names that do not exist and the engine's
 * answers decoded once. Done at the session's start, that work (0.2-0.4 s of CPU per agent) fell on the seconds
 * right after a join, when the first service is created.
 */
@ApplicationScoped
public class DockerTaskExecutor implements TaskExecutor {

    private static final Logger LOG = Logger.getLogger(DockerTaskExecutor.class.getName());

    @Inject
    SwarmState swarm;

    @Inject
    TaskNetworking networking;

    @ConfigProperty(name = "flotilla.docker-socket")
    String socket;

    @ConfigProperty(name = "flotilla.executor.workers", defaultValue = "6")
    int workers;

    @ConfigProperty(name = "flotilla.executor.default-stop-grace-seconds", defaultValue = "10")
    int defaultGraceSeconds;

    @ConfigProperty(name = "flotilla.executor.warm-up-at-start", defaultValue = "true")
    boolean warmUpAtStart;

    private volatile DockerExecution execution;
    private volatile Consumer<TaskStatusUpdate> sink;
    /** The engine client warmed up at the agent's start, until the executor takes it. */
    private CompletableFuture<DockerExecution.Engine> early; // guarded by this

    void onStart(@Observes StartupEvent event) {
        if (!warmUpAtStart || swarm.current().member()) {
            return; // a member's session opens the executor at once
        }
        CompletableFuture<DockerExecution.Engine> f = CompletableFuture.supplyAsync(
                () -> DockerExecution.warmedEngine(socket, networking), r -> {
                    Thread t = new Thread(r, "executor-warm-up");
                    t.setDaemon(true);
                    t.start();
                });
        synchronized (this) {
            early = f;
        }
    }

    @Override
    public void reconcile(List<Task> assigned) {
        execution().reconcile(assigned);
    }

    @Override
    public synchronized void onStatus(Consumer<TaskStatusUpdate> sink) {
        this.sink = sink;
        if (execution != null) {
            execution.onStatus(sink);
        }
    }

    @Override
    public List<TaskStatusUpdate> currentStatuses() {
        DockerExecution e = execution;
        return e == null ? List.of() : e.currentStatuses();
    }

    private synchronized DockerExecution execution() {
        if (execution == null) {
            DockerExecution e = DockerExecution.open(takeEngine(), () -> swarm.current().nodeId(), networking,
                    workers, defaultGraceSeconds);
            if (sink != null) {
                e.onStatus(sink);
            }
            execution = e;
        }
        return execution;
    }

    /**
     * The engine warmed up at the start (waiting up to 10 s for its warm-up if that still runs: an engine that does
     * not answer leaves the executor a new client), or a new one.
     */
    private DockerExecution.Engine takeEngine() {
        CompletableFuture<DockerExecution.Engine> f = early;
        early = null;
        if (f != null) {
            try {
                return f.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                LOG.warning(() -> "executor warm-up at start: " + e + "; the executor warms up on its own");
                f.thenAccept(DockerTaskExecutor::closeQuietly);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return DockerExecution.engine(socket);
    }

    @PreDestroy
    synchronized void close() {
        if (early != null) {
            early.thenAccept(DockerTaskExecutor::closeQuietly);
            early = null;
        }
        if (execution != null) {
            execution.close();
            execution = null;
        }
    }

    private static void closeQuietly(DockerExecution.Engine e) {
        try {
            e.docker().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
