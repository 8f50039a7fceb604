package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.gateway.docker.mapping.InvalidSpecException;
import io.flotilla.gateway.docker.mapping.ServiceMapper.ServiceStatus;
import io.flotilla.gateway.store.StoreClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/** Services: create, find, list, update (spec replaced, previous kept, spec_version bumped), remove, status. */
@ApplicationScoped
public class ServiceCommands {
    private final StoreClient store;
    LongSupplier clock = System::currentTimeMillis;

    @Inject
    public ServiceCommands(StoreClient store) {
        this.store = store;
    }

    /** Validates and creates; returns the new service's id. */
    public String create(ServiceSpec spec) {
        validate(spec);
        // a name in use is refused by the store itself (RESULT_NAME_CONFLICT -> 409), in the same commit: no
        // list before it, which cost a round trip and could not stop two creates racing
        long now = clock.getAsLong();
        Service service = Service.newBuilder()
                .setMeta(Meta.newBuilder().setCreatedAtMs(now).setUpdatedAtMs(now))
                .setSpec(spec)
                .setSpecVersion(1)
                .build();
        var outcome = Outcomes.require(store.apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_SERVICE)
                        .setObject(StoredObject.newBuilder().setService(service)))
                .build()), "service " + spec.getName());
        return outcome.getId();
    }

    public List<Service> list() {
        return store.list(Kind.KIND_SERVICE).stream().map(StoredObject::getService).toList();
    }

    /** By full id, exact name or unique id prefix; 404 "service X not found" ({@link Lookup#find}). */
    public Service find(String ref) {
        return Lookup.find("service", store, Kind.KIND_SERVICE, ref, o -> o.hasService() ? o.getService() : null,
                this::list, s -> s.getMeta().getId(), s -> s.getSpec().getName());
    }

    /**
     * Replaces the spec of the service at {@code version} (compare-and-set); with {@code rollback} the
     * previous spec comes back instead of {@code spec}.
     */
    public Service update(String ref, long version, ServiceSpec spec, boolean rollback) {
        Service current = find(ref);
        if (current.getMeta().getVersion() != version) {
            throw ApiException.outOfSequence();
        }
        ServiceSpec next = spec;
        if (rollback) {
            if (!current.hasPreviousSpec()) {
                throw ApiException.failedPrecondition("service " + current.getMeta().getId() + " does not have a previous spec");
            }
            next = current.getPreviousSpec();
        }
        validate(next);
        if (!next.getName().equals(current.getSpec().getName())) {
            throw new ApiException(501, "Unimplemented", "renaming services is not supported");
        }
        if (next.hasGlobal() != current.getSpec().hasGlobal()) {
            throw new ApiException(400, "Unknown", "service mode change is not allowed");
        }
        // as Swarm: an update clears the update status (the orchestrator sets "updating" when it rolls
        // tasks), a rollback starts as rollback_started
        Service.Builder b = current.toBuilder()
                .setMeta(current.getMeta().toBuilder().setUpdatedAtMs(clock.getAsLong()))
                .setPreviousSpec(current.getSpec())
                .setSpec(next)
                .setSpecVersion(current.getSpecVersion() + 1)
                .clearUpdateStatus();
        if (rollback) {
            b.setUpdateStatus(io.flotilla.contracts.v1.UpdateStatus.newBuilder().setState("rollback_started")
                    .setStartedAtMs(clock.getAsLong()).setMessage("manually requested rollback"));
        }
        Service updated = b.build();
        Outcomes.require(store.apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_SERVICE)
                        .setId(current.getMeta().getId()).setExpectedVersion(version)
                        .setObject(StoredObject.newBuilder().setService(updated)))
                .build()), "service " + ref);
        return updated;
    }

    public void remove(String ref) {
        Service current = find(ref);
        Outcomes.require(store.apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_DELETE).setKind(Kind.KIND_SERVICE)
                        .setId(current.getMeta().getId()).setExpectedVersion(current.getMeta().getVersion()))
                .build()), "service " + ref);
    }

    /**
     * ServiceStatus per service id: running = tasks running and meant to run on nodes not down;
     * desired = the replica count, or for a global service the nodes not down that have a task meant to
     * run; completed = tasks completed and meant to be.
     */
    public Map<String, ServiceStatus> status(List<Service> services) {
        Set<String> downNodes = new HashSet<>();
        for (StoredObject o : store.list(Kind.KIND_NODE)) {
            Node n = o.getNode();
            if (n.getStatus().getState() == NodeState.NODE_DOWN) {
                downNodes.add(n.getMeta().getId());
            }
        }
        Map<String, long[]> counts = new HashMap<>();
        Map<String, Set<String>> globalNodes = new HashMap<>();
        for (StoredObject o : store.list(Kind.KIND_TASK)) {
            Task t = o.getTask();
            long[] c = counts.computeIfAbsent(t.getServiceId(), k -> new long[2]);
            boolean nodeUp = !downNodes.contains(t.getNodeId());
            if (t.getDesiredState() == TaskState.TASK_RUNNING && nodeUp) {
                if (t.getStatus().getState() == TaskState.TASK_RUNNING) {
                    c[0]++;
                }
                if (!t.getNodeId().isEmpty()) {
                    globalNodes.computeIfAbsent(t.getServiceId(), k -> new HashSet<>()).add(t.getNodeId());
                }
            }
            if (t.getDesiredState() == TaskState.TASK_COMPLETE && t.getStatus().getState() == TaskState.TASK_COMPLETE) {
                c[1]++;
            }
        }
        Map<String, ServiceStatus> out = new HashMap<>();
        for (Service s : services) {
            String id = s.getMeta().getId();
            long[] c = counts.getOrDefault(id, new long[2]);
            long desired = s.getSpec().hasGlobal()
                    ? globalNodes.getOrDefault(id, Set.of()).size()
                    : s.getSpec().getReplicated().getReplicas();
            out.put(id, new ServiceStatus(c[0], desired, c[1]));
        }
        return out;
    }

    private static void validate(ServiceSpec spec) {
        try {
            ServiceSpecValidator.validate(spec);
        } catch (InvalidSpecException e) {
            throw ApiException.invalidArgument(e.getMessage());
        }
    }
}
