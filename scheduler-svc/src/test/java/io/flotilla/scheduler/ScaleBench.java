package io.flotilla.scheduler;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.MembersRequest;
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
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.scheduler.grpc.EncodedWatch;
import io.flotilla.scheduler.state.EncodedEvent;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: the scale benchmark's load and simulated node runtime (deploy/bench/scale runs it against a
 * real manager and a real scheduler-svc). It registers simulated nodes in the store as the dispatcher does
 * (ready, active, with resources), follows the tasks through the store's Watch (committed changes only),
 * creates replicated services as the gateway does, and measures the time from the first create until every
 * replica is assigned to a node and committed. With bench.ack=true it also acts as the nodes' runtime: every
 * assigned task is reported running through the store (batched, with the version it read), as agents do
 * through the dispatcher.
 * Properties: bench.store (host:port), bench.nodes, bench.replicas, bench.services, bench.clients (concurrent
 * API clients creating the services, 10), bench.ack, bench.timeout-s.
 */
public final class ScaleBench {
    private static final int BATCH = 1000;

    private final StoreGrpc.StoreBlockingStub store;
    private final ManagedChannel channel;
    private final boolean ack;

    /** Watch thread only. */
    private final Map<String, Integer> seen = new HashMap<>();
    private volatile long created;
    private volatile long assigned;
    private volatile long running;
    private volatile long lastAssignedNanos;
    private volatile long firstAssignedNanos;
    private volatile Throwable watchError;
    private final LinkedBlockingQueue<StateEvent> toAck = new LinkedBlockingQueue<>();

    private ScaleBench(ManagedChannel channel, boolean ack) {
        this.store = StoreGrpc.newBlockingStub(channel);
        this.channel = channel;
        this.ack = ack;
    }

    public static void main(String[] args) throws Exception {
        String[] target = System.getProperty("bench.store", "127.0.0.1:2377").split(":");
        int nodes = Integer.getInteger("bench.nodes", 5_000);
        int replicas = Integer.getInteger("bench.replicas", 100_000);
        int services = Integer.getInteger("bench.services", 100);
        boolean ack = Boolean.getBoolean("bench.ack");
        int clients = Integer.getInteger("bench.clients", 10);
        long timeoutS = Long.getLong("bench.timeout-s", 900);
        ManagedChannel channel = ManagedChannelBuilder.forAddress(target[0], Integer.parseInt(target[1])).usePlaintext()
                .maxInboundMessageSize(512 << 20).build();
        try {
            int code = new ScaleBench(channel, ack).run(nodes, replicas, services, clients, timeoutS);
            System.exit(code);
        } finally {
            channel.shutdownNow();
        }
    }

    private int run(int nodes, int replicas, int services, int clients, long timeoutS) throws Exception {
        awaitLeader();
        long t = System.nanoTime();
        long index = registerNodes(nodes);
        System.out.printf("[scale] %d simulated nodes registered in %.1f s (store index %d)%n", nodes,
                (System.nanoTime() - t) / 1e9, index);
        watchTasks(index);
        if (ack) {
            Thread acker = new Thread(this::ackLoop, "sim-runtime");
            acker.setDaemon(true);
            acker.start();
        }
        Thread.sleep(2_000); // the scheduler has the nodes in its view (it follows the same committed changes)

        long cpu0 = cpuMillis();
        long t0 = System.nanoTime();
        createServices(replicas, services, clients);
        double createS = (System.nanoTime() - t0) / 1e9;
        System.out.printf("[scale] %d services (%d replicas) created in %.2f s by %d concurrent clients%n", services,
                replicas, createS, clients);

        long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutS);
        long lastPrint = System.nanoTime();
        long lastAssigned = 0;
        long peak = 0;
        while (assigned < replicas || ack && running < replicas) {
            if (watchError != null) {
                System.out.println("[scale] FAILED: the store's Watch ended: " + watchError);
                return 1;
            }
            if (System.nanoTime() > deadline) {
                System.out.printf("[scale] FAILED: after %d s %d tasks created, %d assigned, %d running%n", timeoutS,
                        created, assigned, running);
                return 1;
            }
            Thread.sleep(20);
            long now = System.nanoTime();
            if (now - lastPrint >= 1_000_000_000L) {
                long a = assigned;
                long rate = (long) ((a - lastAssigned) / ((now - lastPrint) / 1e9));
                peak = Math.max(peak, rate);
                System.out.printf("[scale]   +%.0f s: %d created, %d assigned (%d/s)%s%n", (now - t0) / 1e9, created, a,
                        rate, ack ? ", " + running + " running" : "");
                lastAssigned = a;
                lastPrint = now;
            }
        }
        long tEnd = System.nanoTime();
        long spanCpu = cpuMillis() - cpu0;
        double allAssignedS = (lastAssignedNanos - t0) / 1e9;
        double firstS = (firstAssignedNanos - t0) / 1e9;
        System.out.printf("[scale] RESULT: %d nodes, %d services, %d replicas: create -> every task assigned and committed "
                        + "%.2f s = %.0f placements/s (first assignment after %.2f s; %.0f/s from then; peak 1-s window %d/s)%n",
                nodes, services, replicas, allAssignedS, replicas / allAssignedS, firstS,
                replicas / Math.max(1e-9, allAssignedS - firstS), peak);
        if (ack) {
            System.out.printf("[scale] RESULT: create -> every task reported running (simulated runtime) %.2f s%n",
                    (tEnd - t0) / 1e9);
        }
        // the same in a linearizable list: every replica is in the store, assigned to a node
        long stored = store.withDeadlineAfter(120, TimeUnit.SECONDS).list(ListRequest.newBuilder().setKind(Kind.KIND_TASK)
                .setLinearizable(true).build()).getObjectsList().stream()
                .filter(o -> !o.getTask().getNodeId().isEmpty()
                        && o.getTask().getStatus().getState().getNumber() >= TaskState.TASK_ASSIGNED.getNumber())
                .count();
        System.out.printf("[scale] check: a linearizable List of tasks has %d assigned tasks%n", stored);
        System.out.printf("[scale] this load and simulated runtime JVM: CPU %.1f s, %.1f s of it from the first create to "
                + "the last assignment%n", cpuMillis() / 1e3, spanCpu / 1e3);
        return stored >= replicas ? 0 : 1;
    }

    private static long cpuMillis() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(0L);
    }

    private void awaitLeader() throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            try {
                if (!store.withDeadlineAfter(2, TimeUnit.SECONDS).members(MembersRequest.getDefaultInstance()).getLeaderId().isEmpty()) {
                    store.withDeadlineAfter(5, TimeUnit.SECONDS).list(ListRequest.newBuilder().setKind(Kind.KIND_CLUSTER)
                            .setLinearizable(true).build());
                    return;
                }
            } catch (RuntimeException e) {
                // not up yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no store leader");
    }

    /** Nodes as the dispatcher registers and heartbeats them: ready, active workers with resources. */
    private long registerNodes(int n) {
        long now = System.currentTimeMillis();
        long index = 0;
        for (int from = 0; from < n; from += 500) {
            ApplyRequest.Builder r = ApplyRequest.newBuilder();
            for (int i = from; i < Math.min(n, from + 500); i++) {
                String id = String.format("simnode%018d", i);
                Node node = Node.newBuilder()
                        .setMeta(Meta.newBuilder().setId(id).setCreatedAtMs(now).setUpdatedAtMs(now))
                        .setSpec(NodeSpec.newBuilder().setDesiredRole(NodeRole.ROLE_WORKER)
                                .setAvailability(NodeAvailability.AVAILABILITY_ACTIVE))
                        .setDescription(NodeDescription.newBuilder().setHostname(String.format("sim%05d", i))
                                .setOs("linux").setArchitecture("x86_64").setEngineVersion("sim")
                                .setResources(Resources.newBuilder().setNanoCpus(64_000_000_000L).setMemoryBytes(256L << 30)))
                        .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_READY)
                                .setAddr(String.format("10.%d.%d.%d", 100 + i / 65536, i / 256 % 256, i % 256)))
                        .setRole(NodeRole.ROLE_WORKER).build();
                r.addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_NODE).setId(id)
                        .setObject(StoredObject.newBuilder().setNode(node)));
            }
            ApplyResponse resp = store.withDeadlineAfter(30, TimeUnit.SECONDS).apply(r.setPartial(true).build());
            for (ChangeOutcome o : resp.getOutcomesList()) {
                if (o.getResult() != ChangeResult.RESULT_OK && o.getResult() != ChangeResult.RESULT_ALREADY_EXISTS) {
                    throw new IllegalStateException("node registration: " + o.getResult() + " " + o.getMessage());
                }
            }
            index = Math.max(index, resp.getIndex());
        }
        return index;
    }

    /**
     * Services as the gateway creates them (one Apply each, the store assigns the id), from {@code clients}
     * concurrent API clients.
     */
    private void createServices(int replicas, int services, int clients) throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<RuntimeException> error = new java.util.concurrent.atomic.AtomicReference<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                int s;
                while ((s = next.getAndIncrement()) < services && error.get() == null) {
                    try {
                        createService(s, replicas, services);
                    } catch (RuntimeException e) {
                        error.set(e);
                    }
                }
            }, "client-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (error.get() != null) {
            throw error.get();
        }
    }

    private void createService(int s, int replicas, int services) {
        long now = System.currentTimeMillis();
        int n = replicas / services + (s < replicas % services ? 1 : 0);
        ServiceSpec spec = ServiceSpec.newBuilder().setName("scale" + s)
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("busybox:latest")
                                .addArgs("sleep").addArgs("3000"))
                        .setReservations(Resources.newBuilder().setNanoCpus(10_000_000L).setMemoryBytes(16L << 20)))
                .setReplicated(ReplicatedMode.newBuilder().setReplicas(n)).build();
        Service service = Service.newBuilder().setMeta(Meta.newBuilder().setCreatedAtMs(now).setUpdatedAtMs(now))
                .setSpec(spec).setSpecVersion(1).build();
        ApplyRequest create = ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_CREATE)
                .setKind(Kind.KIND_SERVICE).setObject(StoredObject.newBuilder().setService(service))).build();
        for (int attempt = 1; ; attempt++) {
            try {
                ApplyResponse r = store.withDeadlineAfter(30, TimeUnit.SECONDS).apply(create);
                if (r.getApplied()
                        || attempt > 1 && r.getOutcomes(0).getResult() == ChangeResult.RESULT_NAME_CONFLICT) {
                    return; // (a name conflict after a retry: the first attempt did commit)
                }
                throw new IllegalStateException("service create: " + r);
            } catch (io.grpc.StatusRuntimeException e) {
                // "no quorum: the write was not committed within 3000 ms ... it may still commit later"
                if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE || attempt == 5) {
                    throw e;
                }
                System.out.println("[scale] service create retried: " + e.getStatus().getDescription());
            }
        }
    }

    /**
     * Follows every committed task change; counts each task once when first seen and once when first assigned.
     * The answers are read as the scheduler reads them ({@link EncodedWatch}), and of each task only its node and
     * state ({@link #head}): this JVM shares the cores with the processes it measures, so it decodes no more than
     * it counts.
     */
    private void watchTasks(long fromIndex) {
        io.grpc.stub.ClientCalls.asyncServerStreamingCall(channel.newCall(EncodedWatch.METHOD, io.grpc.CallOptions.DEFAULT),
                WatchRequest.newBuilder().addKinds(Kind.KIND_TASK).setFromIndex(fromIndex).build(),
                new StreamObserver<EncodedWatch.Batch>() {
                    @Override
                    public void onNext(EncodedWatch.Batch r) {
                        for (EncodedEvent e : r.events()) {
                            if (e.op() == Op.OP_DELETE_VALUE || e.object() == null) {
                                continue;
                            }
                            long head = head(e.object());
                            int state = (int) head;
                            Integer before = seen.put(e.id(), state);
                            if (before == null) {
                                created++;
                            }
                            boolean isAssigned = head < 0 && state >= TaskState.TASK_ASSIGNED_VALUE;
                            boolean wasAssigned = before != null && before >= TaskState.TASK_ASSIGNED_VALUE;
                            if (isAssigned && !wasAssigned) {
                                long now = System.nanoTime();
                                if (assigned == 0) {
                                    firstAssignedNanos = now;
                                }
                                assigned++;
                                lastAssignedNanos = now;
                                if (ack) {
                                    toAck.add(e.decode());
                                }
                            }
                            if (state == TaskState.TASK_RUNNING_VALUE
                                    && (before == null || before != TaskState.TASK_RUNNING_VALUE)) {
                                running++;
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        watchError = t;
                    }

                    @Override
                    public void onCompleted() {
                        watchError = new IllegalStateException("watch completed");
                    }
                });
    }

    /**
     * A task event's object (StoredObject, field 4 the task) read for the task's node (4) and its status's state
     * (9, then 1), the rest skipped: the state's number, negative (the sign bit set) when a node is set.
     */
    static long head(ByteString storedObject) {
        try {
            CodedInputStream in = storedObject.newCodedInput();
            long state = 0;
            boolean node = false;
            int tag;
            while ((tag = in.readTag()) != 0) {
                if (tag != (4 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
                    in.skipField(tag);
                    continue;
                }
                int task = in.pushLimit(in.readRawVarint32());
                while ((tag = in.readTag()) != 0) {
                    if (tag == (4 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
                        int length = in.readRawVarint32();
                        node = length > 0;
                        in.skipRawBytes(length);
                    } else if (tag == (9 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
                        int status = in.pushLimit(in.readRawVarint32());
                        while ((tag = in.readTag()) != 0) {
                            if (tag == (1 << 3 | WireFormat.WIRETYPE_VARINT)) {
                                state = in.readEnum();
                            } else {
                                in.skipField(tag);
                            }
                        }
                        in.popLimit(status);
                    } else {
                        in.skipField(tag);
                    }
                }
                in.popLimit(task);
            }
            return node ? state | Long.MIN_VALUE : state;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("a task event's object: " + e.getMessage(), e);
        }
    }

    /** The simulated runtime: assigned tasks go straight to running, reported in batches with their read version. */
    private void ackLoop() {
        List<StateEvent> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                batch.add(toAck.take());
            } catch (InterruptedException e) {
                return;
            }
            toAck.drainTo(batch, BATCH - 1);
            long now = System.currentTimeMillis();
            ApplyRequest.Builder r = ApplyRequest.newBuilder().setPartial(true);
            for (StateEvent e : batch) {
                Task t = e.getObject().getTask();
                Task updated = t.toBuilder().setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_RUNNING)
                        .setTimestampMs(now).setMessage("started")).build();
                r.addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_TASK).setId(e.getId())
                        .setExpectedVersion(e.getVersion()).setObject(StoredObject.newBuilder().setTask(updated)));
            }
            try {
                store.withDeadlineAfter(30, TimeUnit.SECONDS).apply(r.build());
            } catch (RuntimeException ex) {
                System.out.println("[scale] runtime report failed: " + ex.getMessage());
            }
            batch.clear();
        }
    }
}
