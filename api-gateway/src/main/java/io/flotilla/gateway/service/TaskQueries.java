package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.gateway.store.StoreClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** Tasks by service, node, desired state and up-to-dateness (the CLI's hidden "_up-to-date" filter). */
@ApplicationScoped
public class TaskQueries {
    private final StoreClient store;

    @Inject
    public TaskQueries(StoreClient store) {
        this.store = store;
    }

    /**
     * @param serviceIds    resolved service ids, empty for all
     * @param nodeIds       resolved node ids, empty for all
     * @param desiredStates desired states, empty for all
     * @param upToDate      only tasks made from their service's current spec_version
     */
    public record Query(Set<String> serviceIds, Set<String> nodeIds, Set<TaskState> desiredStates, boolean upToDate) {
    }

    public List<Task> list(Query q) {
        Stream<Task> tasks;
        if (q.serviceIds().size() == 1) {
            tasks = store.list(Kind.KIND_TASK, Map.of("service_id", q.serviceIds().iterator().next())).stream()
                    .map(StoredObject::getTask);
        } else if (q.serviceIds().isEmpty() && q.nodeIds().size() == 1) {
            tasks = store.list(Kind.KIND_TASK, Map.of("node_id", q.nodeIds().iterator().next())).stream()
                    .map(StoredObject::getTask);
        } else {
            tasks = store.list(Kind.KIND_TASK).stream().map(StoredObject::getTask);
        }
        Map<String, Long> specVersions = new HashMap<>();
        if (q.upToDate()) {
            for (StoredObject o : store.list(Kind.KIND_SERVICE)) {
                Service s = o.getService();
                specVersions.put(s.getMeta().getId(), s.getSpecVersion());
            }
        }
        return tasks
                .filter(t -> q.serviceIds().isEmpty() || q.serviceIds().contains(t.getServiceId()))
                .filter(t -> q.nodeIds().isEmpty() || q.nodeIds().contains(t.getNodeId()))
                .filter(t -> q.desiredStates().isEmpty() || q.desiredStates().contains(t.getDesiredState()))
                .filter(t -> !q.upToDate() || Long.valueOf(t.getSpecVersion()).equals(specVersions.get(t.getServiceId())))
                .toList();
    }

    /**
     * The log sources of these tasks: those that have a container on a node that is known and not
     * down, in slot (then creation) order.
     */
    public List<TaskLogs.Source> logSources(List<Task> tasks) {
        Map<String, io.flotilla.contracts.v1.Node> nodes = new HashMap<>();
        for (StoredObject o : store.list(Kind.KIND_NODE)) {
            nodes.put(o.getNode().getMeta().getId(), o.getNode());
        }
        return tasks.stream()
                .filter(t -> t.getStatus().hasContainer() && !t.getStatus().getContainer().getContainerId().isEmpty())
                .filter(t -> {
                    io.flotilla.contracts.v1.Node n = nodes.get(t.getNodeId());
                    return n != null && n.getStatus().getState() != io.flotilla.contracts.v1.NodeState.NODE_DOWN
                            && !n.getStatus().getAddr().isEmpty();
                })
                .sorted(java.util.Comparator.comparingLong(Task::getSlot).thenComparing(t -> t.getNodeId())
                        .thenComparingLong(t -> t.getMeta().getCreatedAtMs()))
                .map(t -> new TaskLogs.Source(t.getNodeId(), t.getServiceId(), t.getMeta().getId(),
                        nodes.get(t.getNodeId()).getStatus().getAddr(), t.getStatus().getContainer().getContainerId(),
                        t.getSpec().getContainer().getTty()))
                .toList();
    }

    public Task find(String ref) {
        return Lookup.resolve("task", ref, store.list(Kind.KIND_TASK).stream().map(StoredObject::getTask).toList(),
                t -> t.getMeta().getId(), t -> "");
    }
}
