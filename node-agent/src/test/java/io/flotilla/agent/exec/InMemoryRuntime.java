package io.flotilla.agent.exec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A container engine in memory for the executor's unit tests: images, containers, their states. */
final class InMemoryRuntime implements ContainerRuntime {

    static final class Box {
        final String id;
        final ContainerConfig config;
        ObservedContainer.Phase phase = ObservedContainer.Phase.CREATED;
        int exitCode;
        int pid;
        int stops;

        Box(String id, ContainerConfig config) {
            this.id = id;
            this.config = config;
        }

        ObservedContainer observed() {
            return new ObservedContainer(id, config.labels().get(TaskContainers.LABEL_TASK_ID), phase, exitCode,
                    phase == ObservedContainer.Phase.RUNNING ? pid : 0, 0, 0);
        }
    }

    final Set<String> images = ConcurrentHashMap.newKeySet();
    final Map<String, Box> containers = new LinkedHashMap<>();
    int creates;
    /** Creates refused for a missing image. */
    int refusedCreates;
    private int next = 1;

    @Override
    public synchronized List<ObservedContainer> listTaskContainers(String nodeId) {
        List<ObservedContainer> out = new ArrayList<>();
        for (Box b : containers.values()) {
            if (nodeId.equals(b.config.labels().get(TaskContainers.LABEL_NODE_ID))) {
                out.add(b.observed());
            }
        }
        return out;
    }

    @Override
    public synchronized Optional<ObservedContainer> findByTask(String taskId) {
        return containers.values().stream()
                .filter(b -> taskId.equals(b.config.labels().get(TaskContainers.LABEL_TASK_ID)))
                .map(Box::observed).findFirst();
    }

    @Override
    public synchronized Optional<ObservedContainer> inspect(String containerId) {
        Box b = containers.get(containerId);
        return b == null ? Optional.empty() : Optional.of(b.observed());
    }

    @Override
    public Optional<String> localImage(String image) {
        if (images.contains(image)) {
            return Optional.of(image);
        }
        int at = image.indexOf('@');
        return at > 0 && images.contains(image.substring(0, at)) ? Optional.of(image.substring(0, at)) : Optional.empty();
    }

    @Override
    public synchronized String create(ContainerConfig config) {
        for (Box b : containers.values()) {
            if (b.config.name().equals(config.name())) {
                throw new NameInUseException("Conflict. The container name \"/" + config.name()
                        + "\" is already in use", null);
            }
        }
        if (!images.contains(config.image())) {
            refusedCreates++;
            throw new ImageNotFoundException("No such image: " + config.image(), null);
        }
        creates++;
        String id = "c" + (next++);
        containers.put(id, new Box(id, config));
        return id;
    }

    @Override
    public synchronized void start(String containerId) {
        Box b = box(containerId);
        b.phase = ObservedContainer.Phase.RUNNING;
        b.pid = 1000 + next;
    }

    @Override
    public synchronized void stop(String containerId, int graceSeconds) {
        Box b = containers.get(containerId);
        if (b != null && b.phase == ObservedContainer.Phase.RUNNING) {
            b.stops++;
            b.phase = ObservedContainer.Phase.EXITED;
            b.exitCode = 137;
        }
    }

    @Override
    public synchronized void remove(String containerId) {
        containers.remove(containerId);
    }

    /** The process in the container ended by itself (or was killed by someone else). */
    synchronized void exit(String containerId, int code) {
        Box b = box(containerId);
        b.phase = ObservedContainer.Phase.EXITED;
        b.exitCode = code;
    }

    /** A container made outside the executor (e.g. before an agent restart). */
    synchronized String add(ContainerConfig config, boolean running) {
        String id = create(config);
        if (running) {
            start(id);
        }
        return id;
    }

    synchronized Box byName(String name) {
        return containers.values().stream().filter(b -> b.config.name().equals(name)).findFirst().orElse(null);
    }

    private Box box(String id) {
        Box b = containers.get(id);
        if (b == null) {
            throw new ContainerRuntimeException("No such container: " + id);
        }
        return b;
    }
}
