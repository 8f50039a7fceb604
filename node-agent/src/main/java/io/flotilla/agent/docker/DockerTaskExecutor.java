package io.flotilla.agent.docker;

import io.flotilla.agent.exec.TaskExecutor;
import io.flotilla.agent.exec.TaskNetworking;
import io.flotilla.agent.swarm.SwarmState;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;
import java.util.function.Consumer;

/**
 * The node's {@link TaskExecutor}: the host's dockerd (flotilla.docker-socket). Connects on the first
 * assignment, so an agent that is not in a swarm never touches the engine.
 */
@ApplicationScoped
public class DockerTaskExecutor implements TaskExecutor {

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

    private volatile DockerExecution execution;
    private volatile Consumer<TaskStatusUpdate> sink;

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
            DockerExecution e = DockerExecution.open(socket, () -> swarm.current().nodeId(), networking,
                    workers, defaultGraceSeconds);
            if (sink != null) {
                e.onStatus(sink);
            }
            execution = e;
        }
        return execution;
    }

    @PreDestroy
    synchronized void close() {
        if (execution != null) {
            execution.close();
            execution = null;
        }
    }
}
