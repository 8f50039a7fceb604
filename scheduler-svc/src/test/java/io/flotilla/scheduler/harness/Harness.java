package io.flotilla.scheduler.harness;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.scheduler.loop.ControlLoop;
import io.flotilla.scheduler.orchestrator.Orchestrator;
import io.flotilla.scheduler.placement.TaskScheduler;
import io.flotilla.scheduler.state.ClusterView;
import io.flotilla.scheduler.state.TaskStates;

import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Nomad's Harness idea: the real orchestrator and scheduler over a real (in-memory) store, a manual
 * clock, and helpers that play the user (services), the dispatcher (nodes) and the agents (task states).
 */
public final class Harness {
    public final InMemoryStore store = new InMemoryStore();
    public final ClusterView view = new ClusterView();
    public long now = 1_000_000;
    public final ControlLoop loop;

    public Harness() {
        loop = new ControlLoop(view, new Orchestrator(), new TaskScheduler(), store, () -> now,
                new ControlLoop.Options(0, 1000, 10, 50, 5_000));
        store.subscribe(loop::submit);
    }

    /** Runs passes until nothing is due now and nothing changes. */
    public void converge() {
        for (int i = 0; i < 200; i++) {
            int applied = loop.runOnce();
            if (applied == 0 && loop.nextDueMs() > now) {
                return;
            }
        }
        throw new AssertionError("did not converge");
    }

    /** Advances the clock and converges. */
    public void advance(long ms) {
        now += ms;
        converge();
    }

    public String node(String hostname, NodeRole role) {
        return node(hostname, role, n -> n);
    }

    public String node(String hostname, NodeRole role, UnaryOperator<Node.Builder> custom) {
        Node.Builder b = Node.newBuilder().setMeta(Meta.newBuilder().setId("node-" + hostname))
                .setSpec(NodeSpec.newBuilder().setAvailability(NodeAvailability.AVAILABILITY_ACTIVE).setDesiredRole(role))
                .setDescription(NodeDescription.newBuilder().setHostname(hostname)
                        .setResources(Resources.newBuilder().setNanoCpus(2_000_000_000L).setMemoryBytes(2L << 30)))
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_READY))
                .setRole(role);
        Node n = custom.apply(b).build();
        create(Kind.KIND_NODE, n.getMeta().getId(), StoredObject.newBuilder().setNode(n).build());
        return n.getMeta().getId();
    }

    public String service(String name, long replicas) {
        return service(name, replicas, s -> s);
    }

    public String service(String name, long replicas, UnaryOperator<ServiceSpec.Builder> custom) {
        ServiceSpec spec = custom.apply(ServiceSpec.newBuilder().setName(name)
                .setTask(TaskSpec.newBuilder().setContainer(io.flotilla.contracts.v1.ContainerSpec.newBuilder().setImage("web")))
                .setReplicated(ReplicatedMode.newBuilder().setReplicas(replicas))).build();
        Service s = Service.newBuilder().setMeta(Meta.newBuilder().setId("svc-" + name)).setSpec(spec).setSpecVersion(1).build();
        create(Kind.KIND_SERVICE, s.getMeta().getId(), StoredObject.newBuilder().setService(s).build());
        return s.getMeta().getId();
    }

    public void updateService(String id, UnaryOperator<Service.Builder> f) {
        Service s = get(id).getService();
        update(Kind.KIND_SERVICE, id, s.getMeta().getVersion(), StoredObject.newBuilder().setService(f.apply(s.toBuilder())).build());
    }

    public void updateNode(String id, UnaryOperator<Node.Builder> f) {
        Node n = get(id).getNode();
        update(Kind.KIND_NODE, id, n.getMeta().getVersion(), StoredObject.newBuilder().setNode(f.apply(n.toBuilder())).build());
    }

    /** Another writer (network-svc, an agent) changes a task. */
    public void updateTask(String id, UnaryOperator<Task.Builder> f) {
        Task t = store.task(id);
        update(Kind.KIND_TASK, id, t.getMeta().getVersion(), StoredObject.newBuilder().setTask(f.apply(t.toBuilder())).build());
    }

    public void deleteService(String id) {
        StoredObject o = get(id);
        check(store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_DELETE)
                .setKind(Kind.KIND_SERVICE).setId(id).setExpectedVersion(o.getService().getMeta().getVersion())).build())
                .getOutcomes(0).getResult());
    }

    /** The agent reports a task state (at the harness clock). */
    public void report(String taskId, TaskState state) {
        Task t = store.task(taskId);
        update(Kind.KIND_TASK, taskId, t.getMeta().getVersion(), StoredObject.newBuilder().setTask(t.toBuilder()
                .setStatus(t.getStatus().toBuilder().setState(state).setTimestampMs(now))).build());
    }

    /** Every assigned task wanted running reports RUNNING. */
    public void runAll() {
        for (Task t : store.tasks()) {
            if (TaskStates.wanted(t) && t.getStatus().getState() == TaskState.TASK_ASSIGNED) {
                report(t.getMeta().getId(), TaskState.TASK_RUNNING);
            }
        }
    }

    public List<Task> tasks(String serviceId) {
        return store.tasks().stream().filter(t -> t.getServiceId().equals(serviceId))
                .sorted(Comparator.comparingLong(Task::getSlot).thenComparingLong(t -> t.getMeta().getCreatedAtMs()))
                .collect(Collectors.toList());
    }

    public List<Task> wanted(String serviceId) {
        return tasks(serviceId).stream().filter(TaskStates::wanted).collect(Collectors.toList());
    }

    public List<Task> slot(String serviceId, long slot) {
        return tasks(serviceId).stream().filter(t -> t.getSlot() == slot).collect(Collectors.toList());
    }

    private StoredObject get(String id) {
        return store.list().stream().filter(o -> id.equals(idOf(o))).findFirst().orElseThrow();
    }

    private static String idOf(StoredObject o) {
        switch (o.getObjectCase()) {
            case NODE: return o.getNode().getMeta().getId();
            case SERVICE: return o.getService().getMeta().getId();
            case TASK: return o.getTask().getMeta().getId();
            default: return "";
        }
    }

    private void create(Kind kind, String id, StoredObject o) {
        check(store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(kind)
                .setId(id).setObject(o)).build()).getOutcomes(0).getResult());
    }

    private void update(Kind kind, String id, long version, StoredObject o) {
        check(store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(kind)
                .setId(id).setExpectedVersion(version).setObject(o)).build()).getOutcomes(0).getResult());
    }

    private static void check(ChangeResult r) {
        if (r != ChangeResult.RESULT_OK) {
            throw new AssertionError("harness write failed: " + r);
        }
    }
}
