package io.flotilla.scheduler.loop;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.ClusterSettings;
import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.GlobalMode;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Placement;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.scheduler.grpc.EncodedWatch;
import io.flotilla.scheduler.orchestrator.Orchestrator;
import io.flotilla.scheduler.placement.TaskScheduler;
import io.flotilla.scheduler.plan.PlanApplier;
import io.flotilla.scheduler.state.ClusterView;
import io.flotilla.scheduler.state.EncodedEvent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The scheduler's code paths run once over made-up objects before it serves, so that the first real pass
 * does not pay for loading and interpreting them (it took 0.5-1.9 s on the lab right after a swarm init,
 * warm passes take milliseconds). A private loop and view over a pretend store that accepts every change
 * and sends it back as an event, as the Watch or Kafka would: services created (replicated with a constraint,
 * resources and a host port; global; one waiting for its network), tasks placed, networks allocated, tasks
 * running, a rolling update, a failure and its restart, services deleted. The changes and events also go
 * through the wire encodings the real ones take (protobuf, and the JSON of the Kafka topic when the scheduler
 * follows it). Nothing leaves this process.
 */
public final class Warmup {
    private static final String IMAGE = "warmup:none";

    private final ClusterView view = new ClusterView();
    private final PretendStore store = new PretendStore();
    private final boolean viaKafka;
    /** The Kafka topic's JSON, only when the events go through it ({@code viaKafka}). */
    private final JsonFormat.Parser json;
    private final JsonFormat.Printer printer;
    private long now = 1_000_000;
    private final ControlLoop loop = new ControlLoop(view, new Orchestrator(), new TaskScheduler(), store, () -> now,
            new ControlLoop.Options(0, 1000, 10, 50, 5_000));

    private Warmup(boolean viaKafka) {
        this.viaKafka = viaKafka;
        this.json = viaKafka ? JsonFormat.parser().ignoringUnknownFields() : null;
        this.printer = viaKafka ? JsonFormat.printer().omittingInsignificantWhitespace() : null;
    }

    /** What a run did: changes the pretend store took, tasks it saw placed on a node. */
    public record Result(long changes, long placed) {
    }

    /** {@code viaKafka}: the events also go through the Kafka topic's JSON (the scheduler follows Kafka). */
    public static Result run(boolean viaKafka) {
        return new Warmup(viaKafka).scenario();
    }

    private Result scenario() {
        List<StoredObject> initial = new ArrayList<>();
        initial.add(StoredObject.newBuilder().setCluster(Cluster.newBuilder().setMeta(meta("warmup-cluster"))
                .setName("default").setSettings(ClusterSettings.newBuilder().setTaskHistoryLimit(5))).build());
        for (int i = 0; i < 3; i++) {
            initial.add(StoredObject.newBuilder().setNode(node(i)).build());
        }
        loop.load(initial, store.index);
        converge();
        Service web = service("warmup-web", ServiceSpec.newBuilder().setName("warmup-web")
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage(IMAGE))
                        .setReservations(Resources.newBuilder().setNanoCpus(10_000_000L).setMemoryBytes(1L << 20))
                        .setPlacement(Placement.newBuilder().addConstraints("node.role==worker")
                                .addConstraints("node.labels.warmup!=no")))
                .setReplicated(ReplicatedMode.newBuilder().setReplicas(3))
                .setEndpoint(EndpointSpec.newBuilder().addPorts(PortConfig.newBuilder().setProtocol("tcp")
                        .setTargetPort(80).setPublishedPort(30080).setPublishMode(PublishMode.PUBLISH_HOST))));
        service("warmup-global", ServiceSpec.newBuilder().setName("warmup-global")
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage(IMAGE)))
                .setGlobal(GlobalMode.getDefaultInstance()));
        service("warmup-net", ServiceSpec.newBuilder().setName("warmup-net")
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage(IMAGE))
                        .addNetworks(NetworkAttachmentConfig.newBuilder().setTarget("warmup-overlay")))
                .setReplicated(ReplicatedMode.newBuilder().setReplicas(2)));
        converge();
        // network-svc allocates the waiting tasks' addresses, then every placed task runs
        for (Task t : store.tasks()) {
            if (t.getNodeId().isEmpty() && t.getSpec().getNetworksCount() > 0) {
                store.update(t.toBuilder().addNetworks(NetworkAttachment.newBuilder().setNetworkId("warmup-overlay")
                        .addAddresses("10.0.9." + (2 + t.getSlot()) + "/24")).build());
            }
        }
        converge();
        settle();
        // a rolling update of one service, one of its tasks failing meanwhile
        Service current = store.service(web.getMeta().getId());
        ServiceSpec.Builder next = current.getSpec().toBuilder();
        next.getTaskBuilder().getContainerBuilder().setImage(IMAGE + "2");
        store.update(current.toBuilder().setPreviousSpec(current.getSpec()).setSpec(next)
                .setSpecVersion(current.getSpecVersion() + 1).build());
        converge();
        settle();
        for (Task t : store.tasks()) {
            if (t.getServiceId().equals(web.getMeta().getId()) && t.getDesiredState() == TaskState.TASK_RUNNING
                    && t.getStatus().getState() == TaskState.TASK_RUNNING) {
                store.update(t.toBuilder().setStatus(t.getStatus().toBuilder().setState(TaskState.TASK_FAILED)
                        .setTimestampMs(now).setErr("warmup")).build());
                break;
            }
        }
        converge();
        now += 10_000;
        converge();
        settle();
        for (Service s : List.copyOf(store.services.values())) {
            store.delete(Kind.KIND_SERVICE, s.getMeta().getId());
        }
        converge();
        settle();
        return new Result(store.changes, store.placed);
    }

    /** The agents: every placed task wanted running runs, every task asked to stop stops; then the loop's answers. */
    private void settle() {
        for (int round = 0; round < 3; round++) {
            for (Task t : store.tasks()) {
                TaskState s = t.getStatus().getState();
                TaskState next = t.getDesiredState() == TaskState.TASK_RUNNING ? TaskState.TASK_RUNNING : TaskState.TASK_SHUTDOWN;
                if (!t.getNodeId().isEmpty() && s != next && s.getNumber() < TaskState.TASK_COMPLETE_VALUE) {
                    store.update(t.toBuilder().setStatus(t.getStatus().toBuilder().setState(next).setTimestampMs(now)).build());
                }
            }
            converge();
        }
    }

    private void converge() {
        for (int i = 0; i < 50; i++) {
            deliver();
            int applied = loop.runOnce();
            now += 10;
            if (applied == 0 && store.pending.isEmpty() && loop.nextDueMs() > now) {
                return;
            }
        }
    }

    /** Hands the pretend store's events to the loop as a source would, through their wire forms. */
    private void deliver() {
        if (store.pending.isEmpty()) {
            return;
        }
        try {
            // the Watch's way (the objects decoded by the view as needed), then Kafka's JSON if followed (repeats: dropped)
            ByteString bytes = WatchResponse.newBuilder().setIndex(store.index).addAllEvents(store.pending).build().toByteString();
            for (EncodedEvent e : EncodedWatch.read(bytes.newCodedInput()).events()) {
                loop.submit(e);
            }
            if (viaKafka) {
                for (StateEvent e : WatchResponse.parseFrom(bytes).getEventsList()) {
                    StateEvent.Builder b = StateEvent.newBuilder();
                    json.merge(printer.print(e), b);
                    loop.submit(b.build());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("warm-up: " + e.getMessage(), e);
        }
        store.pending.clear();
    }

    private static Meta meta(String id) {
        return Meta.newBuilder().setId(id).build();
    }

    private static Node node(int i) {
        NodeRole role = i == 0 ? NodeRole.ROLE_MANAGER : NodeRole.ROLE_WORKER;
        return Node.newBuilder().setMeta(meta("warmup-node-" + i))
                .setSpec(NodeSpec.newBuilder().setDesiredRole(role).setAvailability(NodeAvailability.AVAILABILITY_ACTIVE)
                        .putLabels("warmup", "yes"))
                .setDescription(NodeDescription.newBuilder().setHostname("warmup" + i)
                        .setResources(Resources.newBuilder().setNanoCpus(2_000_000_000L).setMemoryBytes(2L << 30)))
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_READY).setAddr("10.0.0." + (i + 1)))
                .setRole(role).build();
    }

    private Service service(String id, ServiceSpec.Builder spec) {
        Service s = Service.newBuilder().setMeta(Meta.newBuilder().setId(id).setCreatedAtMs(now)).setSpec(spec)
                .setSpecVersion(1).build();
        store.create(s);
        return s;
    }

    /**
     * Takes every change (no version checks: only this loop writes), gives each applied batch the next index,
     * and queues the events a source would deliver. Requests and responses go through their protobuf encoding.
     */
    private static final class PretendStore implements PlanApplier {
        final Map<String, Service> services = new HashMap<>();
        final Map<String, Task> tasks = new HashMap<>();
        final List<StateEvent> pending = new ArrayList<>();
        long index = 1;
        long changes;
        long placed;

        @Override
        public ApplyResponse apply(ApplyRequest sent) {
            ApplyRequest request;
            try {
                request = ApplyRequest.parseFrom(sent.toByteString());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("warm-up: " + e.getMessage(), e);
            }
            long at = ++index;
            ApplyResponse.Builder out = ApplyResponse.newBuilder().setIndex(at).setApplied(true);
            for (Change c : request.getChangesList()) {
                changes++;
                StoredObject o = c.getObject();
                if (c.getOp() == Op.OP_DELETE) {
                    services.remove(c.getId());
                    tasks.remove(c.getId());
                    pending.add(StateEvent.newBuilder().setKind(c.getKind()).setId(c.getId()).setVersion(at).setIndex(at)
                            .setOp(Op.OP_DELETE).build());
                } else if (o.hasTask()) {
                    Task before = tasks.get(c.getId());
                    if (!o.getTask().getNodeId().isEmpty() && (before == null || before.getNodeId().isEmpty())) {
                        placed++;
                    }
                    Task t = o.getTask().toBuilder().setMeta(o.getTask().getMeta().toBuilder().setVersion(at)).build();
                    tasks.put(c.getId(), t);
                    pending.add(event(c.getOp(), StoredObject.newBuilder().setTask(t).build(), Kind.KIND_TASK, c.getId(), at));
                } else if (o.hasService()) {
                    Service s = o.getService().toBuilder().setMeta(o.getService().getMeta().toBuilder().setVersion(at)).build();
                    services.put(c.getId(), s);
                    pending.add(event(c.getOp(), StoredObject.newBuilder().setService(s).build(), Kind.KIND_SERVICE, c.getId(), at));
                }
                out.addOutcomes(ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_OK).setId(c.getId()).setCurrentVersion(at));
            }
            try {
                return ApplyResponse.parseFrom(out.build().toByteString());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("warm-up: " + e.getMessage(), e);
            }
        }

        private static StateEvent event(Op op, StoredObject o, Kind kind, String id, long at) {
            return StateEvent.newBuilder().setKind(kind).setId(id).setVersion(at).setIndex(at).setOp(op).setObject(o).build();
        }

        List<Task> tasks() {
            return List.copyOf(tasks.values());
        }

        Service service(String id) {
            return services.get(id);
        }

        /** Another writer (the gateway, an agent, network-svc). */
        void create(Service s) {
            write(Op.OP_CREATE, Kind.KIND_SERVICE, s.getMeta().getId(), StoredObject.newBuilder().setService(s).build());
        }

        void update(Service s) {
            write(Op.OP_UPDATE, Kind.KIND_SERVICE, s.getMeta().getId(), StoredObject.newBuilder().setService(s).build());
        }

        void update(Task t) {
            write(Op.OP_UPDATE, Kind.KIND_TASK, t.getMeta().getId(), StoredObject.newBuilder().setTask(t).build());
        }

        void delete(Kind kind, String id) {
            apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_DELETE).setKind(kind).setId(id)).build());
        }

        private void write(Op op, Kind kind, String id, StoredObject o) {
            apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(op).setKind(kind).setId(id).setObject(o)).build());
        }
    }
}
