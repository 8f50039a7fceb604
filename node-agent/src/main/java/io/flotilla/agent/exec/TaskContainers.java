package io.flotilla.agent.exec;

import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.Task;

import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How a task becomes a container: Swarm's name and labels, and the spec's container settings. */
public final class TaskContainers {

    public static final String LABEL_TASK = "com.docker.swarm.task";
    public static final String LABEL_TASK_ID = "com.docker.swarm.task.id";
    public static final String LABEL_TASK_NAME = "com.docker.swarm.task.name";
    public static final String LABEL_SERVICE_ID = "com.docker.swarm.service.id";
    public static final String LABEL_SERVICE_NAME = "com.docker.swarm.service.name";
    public static final String LABEL_NODE_ID = "com.docker.swarm.node.id";

    /** Swarm's default when the spec gives no stop grace period. */
    public static final int DEFAULT_STOP_GRACE_SECONDS = 10;

    private TaskContainers() {
    }

    /**
     * {@code <service>.<slot>.<task id>}, or {@code <service>.<node id>.<task id>} for a global task
     * (slot 0), as Swarm names them.
     */
    public static String containerName(Task task, String nodeId) {
        String middle = task.getSlot() > 0 ? Long.toUnsignedString(task.getSlot())
                : (task.getNodeId().isEmpty() ? nodeId : task.getNodeId());
        return task.getServiceName() + "." + middle + "." + task.getMeta().getId();
    }

    /** True when the task publishes a port in host mode (on its node's own address). */
    public static boolean publishesOnHost(Task task) {
        return !hostPorts(task).isEmpty();
    }

    /** The ports the task publishes in host mode: bound on its node's own address by its container. */
    static List<ContainerConfig.HostPort> hostPorts(Task task) {
        List<ContainerConfig.HostPort> hostPorts = new ArrayList<>();
        for (PortConfig p : task.getEndpoint().getSpec().getPortsList()) {
            if (p.getPublishMode() == PublishMode.PUBLISH_HOST && p.getTargetPort() > 0) {
                hostPorts.add(new ContainerConfig.HostPort(p.getProtocol().isEmpty() ? "tcp" : p.getProtocol(),
                        p.getTargetPort(), p.getPublishedPort()));
            }
        }
        return hostPorts;
    }

    /** The container to create for the task on this node. */
    public static ContainerConfig configFor(Task task, String nodeId, String networkMode) {
        ContainerSpec c = task.getSpec().getContainer();
        String name = containerName(task, nodeId);
        Map<String, String> labels = new LinkedHashMap<>(c.getLabelsMap());
        labels.put(LABEL_TASK, "");
        labels.put(LABEL_TASK_ID, task.getMeta().getId());
        labels.put(LABEL_TASK_NAME, name);
        labels.put(LABEL_SERVICE_ID, task.getServiceId());
        labels.put(LABEL_SERVICE_NAME, task.getServiceName());
        labels.put(LABEL_NODE_ID, nodeId);
        Resources limits = task.getSpec().getLimits();
        List<ContainerConfig.HostPort> hostPorts = hostPorts(task);
        return new ContainerConfig(name, c.getImage(), c.getCommandList(), c.getArgsList(), c.getEnvList(),
                labels, c.getHostname(), c.getDir(), c.getUser(), c.getTty(),
                Math.max(0, limits.getMemoryBytes()), Math.max(0, limits.getNanoCpus()), networkMode, hostPorts);
    }

    /** The stop grace period in whole seconds (rounded up); the default when the spec has none. */
    public static int stopGraceSeconds(Task task, int defaultSeconds) {
        if (task == null) {
            return defaultSeconds;
        }
        long ns = task.getSpec().getContainer().getStopGracePeriodNs();
        if (ns <= 0) {
            return defaultSeconds;
        }
        long s = (ns + 999_999_999L) / 1_000_000_000L;
        return (int) Math.min(Integer.MAX_VALUE, s);
    }
}
