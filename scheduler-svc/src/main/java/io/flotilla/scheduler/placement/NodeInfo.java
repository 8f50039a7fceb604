package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.Task;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A node and what the tasks it holds use of it, updated as a pass places more tasks there. */
public final class NodeInfo {
    private Node node;
    // read from the node once when it changes: the checkers and the ranking ask for them for every task
    private String id;
    private long nanoCpus;
    private long memoryBytes;
    private boolean takesTasks;
    private final Map<String, Integer> tasksByService = new HashMap<>();
    /** Host-mode ports in use, with the number of tasks holding each (a count, so that {@link #remove} undoes {@link #add}). */
    private final Map<String, Integer> hostPorts = new HashMap<>();
    private int tasks;
    private long reservedNanoCpus;
    private long reservedMemory;
    /** Position of the node's id among the pass's nodes (ties in the ranking go to the lowest id). */
    int rank;
    /**
     * Per versioned service ({@link #versionedService}): when its tasks last failed here, oldest first, at most
     * {@link #MAX_FAILURES} (none kept for most nodes: made on the first failure).
     */
    private Map<String, ArrayDeque<Long>> failures;

    /** Swarm's: a node where a service's tasks failed this often within {@link #FAILURE_WINDOW_MS} is tried last. */
    public static final int MAX_FAILURES = 5;
    public static final long FAILURE_WINDOW_MS = 5 * 60_000;

    public NodeInfo(Node node) {
        setNode(node);
    }

    public Node node() {
        return node;
    }

    /** The node's latest state (the counts stay: they are the tasks', not the node's). */
    void setNode(Node node) {
        this.node = node;
        id = node == null ? null : node.getMeta().getId();
        nanoCpus = node == null ? 0 : node.getDescription().getResources().getNanoCpus();
        memoryBytes = node == null ? 0 : node.getDescription().getResources().getMemoryBytes();
        takesTasks = node != null && node.getStatus().getState() == NodeState.NODE_READY
                && node.getSpec().getAvailability() == NodeAvailability.AVAILABILITY_ACTIVE;
    }

    /** Ready and active: passes the checkers that look at nothing else ({@link NodeChecker#passesWhenNodeTakesTasks}). */
    public boolean takesTasks() {
        return takesTasks;
    }

    public String id() {
        return id;
    }

    public int tasks() {
        return tasks;
    }

    public int tasksOf(String serviceId) {
        return tasksByService.getOrDefault(serviceId, 0);
    }

    public long availableNanoCpus() {
        return nanoCpus - reservedNanoCpus;
    }

    public long availableMemory() {
        return memoryBytes - reservedMemory;
    }

    public boolean hostPortInUse(String key) {
        return hostPorts.containsKey(key);
    }

    /** Counts a task as running here (from the view, or placed by this pass). */
    public void add(Task t) {
        tasks++;
        tasksByService.merge(t.getServiceId(), 1, Integer::sum);
        reservedNanoCpus += t.getSpec().getReservations().getNanoCpus();
        reservedMemory += t.getSpec().getReservations().getMemoryBytes();
        for (String key : hostPortKeys(t)) {
            hostPorts.merge(key, 1, Integer::sum);
        }
    }

    /** Undoes {@link #add} of the same task. */
    public void remove(Task t) {
        tasks--;
        tasksByService.computeIfPresent(t.getServiceId(), (k, n) -> n == 1 ? null : n - 1);
        reservedNanoCpus -= t.getSpec().getReservations().getNanoCpus();
        reservedMemory -= t.getSpec().getReservations().getMemoryBytes();
        for (String key : hostPortKeys(t)) {
            hostPorts.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** A task of this service version failed here (its agent's failed or rejected report) at that time. */
    void taskFailed(String versionedService, long atMs) {
        if (failures == null) {
            failures = new HashMap<>();
        }
        ArrayDeque<Long> times = failures.computeIfAbsent(versionedService, k -> new ArrayDeque<>(MAX_FAILURES));
        if (times.size() == MAX_FAILURES) {
            times.pollFirst();
        }
        times.addLast(atMs);
    }

    /** How many tasks of this service version failed here in the {@link #FAILURE_WINDOW_MS} before now. */
    public int recentFailures(String versionedService, long nowMs) {
        ArrayDeque<Long> times = failures == null ? null : failures.get(versionedService);
        if (times == null) {
            return 0;
        }
        while (!times.isEmpty() && times.peekFirst() < nowMs - FAILURE_WINDOW_MS) {
            times.pollFirst();
        }
        if (times.isEmpty()) {
            failures.remove(versionedService);
        }
        return times.size();
    }

    /** "<service id>/<spec version>": the tasks of one version of a service, placed as a group. */
    public static String versionedService(Task t) {
        return t.getServiceId() + "/" + t.getSpecVersion();
    }

    /** Whether no task is counted here. */
    boolean empty() {
        return tasks == 0;
    }

    /** The same counts (for tests: a table kept across passes against a rebuild). */
    public boolean sameCounts(NodeInfo o) {
        return node.equals(o.node) && id.equals(o.id) && availableNanoCpus() == o.availableNanoCpus()
                && availableMemory() == o.availableMemory() && takesTasks == o.takesTasks && tasks == o.tasks && tasksByService.equals(o.tasksByService)
                && reservedNanoCpus == o.reservedNanoCpus && reservedMemory == o.reservedMemory
                && hostPorts.equals(o.hostPorts) && rank == o.rank;
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
