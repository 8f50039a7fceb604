package io.flotilla.agent.exec;

import java.util.List;
import java.util.Optional;

/**
 * The container engine as the executor needs it (the docker-java adapter in io.flotilla.agent.docker
 * implements it; unit tests use an in-memory one). Failures are {@link ContainerRuntimeException}s.
 */
public interface ContainerRuntime {

    /** Every container (running or not) labelled as a task of the given node. */
    List<ObservedContainer> listTaskContainers(String nodeId);

    /** The container labelled with this task id, if any (the running one first if there are several). */
    Optional<ObservedContainer> findByTask(String taskId);

    /** The container with this id, if it still exists. */
    Optional<ObservedContainer> inspect(String containerId);

    /** The local reference to create from if the image is present on this host; empty if it is not. */
    Optional<String> localImage(String image);

    /**
     * Creates the container (never pulls); returns its id.
     *
     * @throws ImageNotFoundException if its image is not on this host
     */
    String create(ContainerConfig config);

    void start(String containerId);

    /** Stops with SIGTERM, then SIGKILL after the grace period; a stopped or missing container is fine. */
    void stop(String containerId, int graceSeconds);

    /** Removes the container (forcibly); a missing container is fine. */
    void remove(String containerId);
}
