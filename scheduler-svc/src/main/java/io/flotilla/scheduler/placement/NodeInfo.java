package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.Task;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A node and what the tasks it holds use of it, updated as a pass places more tasks there. */
public final class NodeInfo {
    private final Node node;
    private final Map<String, Integer> tasksByService = new HashMap<>();
    private final Set<String> hostPorts = new HashSet<>();
    private int tasks;
    private long reservedNanoCpus;
    private long reservedMemory;
    /** Position of the node's id among the pass's nodes (ties in the ranking go to the lowest id). */
    int rank;

    public NodeInfo(Node node) {
        this.node = node;
    }

    public Node node() {
        return node;
    }

    public String id() {
        return node.getMeta().getId();
    }

    public int tasks() {
        return tasks;
    }

    public int tasksOf(String serviceId) {
        return tasksByService.getOrDefault(serviceId, 0);
    }

    public long availableNanoCpus() {
        return node.getDescription().getResources().getNanoCpus() - reservedNanoCpus;
    }

    public long availableMemory() {
        return node.getDescription().getResources().getMemoryBytes() - reservedMemory;
    }

    public boolean hostPortInUse(String key) {
        return hostPorts.contains(key);
    }

    /** Counts a task as running here (from the view, or placed by this pass). */
    public void add(Task t) {
        tasks++;
        tasksByService.merge(t.getServiceId(), 1, Integer::sum);
        reservedNanoCpus += t.getSpec().getReservations().getNanoCpus();
        reservedMemory += t.getSpec().getReservations().getMemoryBytes();
        hostPorts.addAll(hostPortKeys(t));
    }

    /** "tcp/8080" for each host-mode published port of the task. */
    public static List<String> hostPortKeys(Task t) {
        List<PortConfig> ports = t.getEndpoint().getPortsCount() > 0 ? t.getEndpoint().getPortsList()
                : t.getEndpoint().getSpec().getPortsList();
        List<String> keys = new ArrayList<>(0);
        for (PortConfig p : ports) {
            if (p.getPublishMode() == PublishMode.PUBLISH_HOST && p.getPublishedPort() != 0) {
                String proto = p.getProtocol().isEmpty() ? "tcp" : p.getProtocol().toLowerCase();
                keys.add(proto + "/" + p.getPublishedPort());
            }
        }
        return keys;
    }
}
