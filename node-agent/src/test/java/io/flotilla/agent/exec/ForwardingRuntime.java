package io.flotilla.agent.exec;

import java.util.List;
import java.util.Optional;

/** A runtime that hands every call to another; tests override the calls they watch or slow down. */
class ForwardingRuntime implements ContainerRuntime {

    private final ContainerRuntime to;

    ForwardingRuntime(ContainerRuntime to) {
        this.to = to;
    }

    @Override
    public List<ObservedContainer> listTaskContainers(String nodeId) {
        return to.listTaskContainers(nodeId);
    }

    @Override
    public Optional<ObservedContainer> findByTask(String taskId) {
        return to.findByTask(taskId);
    }

    @Override
    public Optional<ObservedContainer> inspect(String containerId) {
        return to.inspect(containerId);
    }

    @Override
    public Optional<String> localImage(String image) {
        return to.localImage(image);
    }

    @Override
    public String create(ContainerConfig config) {
        return to.create(config);
    }

    @Override
    public void start(String containerId) {
        to.start(containerId);
    }

    @Override
    public void stop(String containerId, int graceSeconds) {
        to.stop(containerId, graceSeconds);
    }

    @Override
    public void remove(String containerId) {
        to.remove(containerId);
    }
}
