package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.AgentMessage;
import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.Heartbeat;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ManagerMessage;
import io.flotilla.contracts.v1.PlanAck;
import io.flotilla.contracts.v1.PlanBatch;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.Register;
import io.flotilla.contracts.v1.StatusReport;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.TaskState;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.flotilla.state.dispatcher.DispatcherTest.A;
import static io.flotilla.state.dispatcher.DispatcherTest.B;
import static io.flotilla.state.dispatcher.DispatcherTest.DESC;
import static io.flotilla.state.dispatcher.DispatcherTest.await;
import static io.flotilla.state.dispatcher.DispatcherTest.task;
import static io.flotilla.state.dispatcher.DispatcherTest.update;
import static io.flotilla.state.dispatcher.PlanRelayTest.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session over real gRPC on loopback. */
class DispatcherGrpcServiceTest {

    FakeStateStore store;
    ScheduledExecutorService executor;
    Dispatcher dispatcher;
    Server server;
    ManagedChannel channel;

    @BeforeEach
    void setUp() throws Exception {
        store = new FakeStateStore();
        executor = Executors.newSingleThreadScheduledExecutor();
        dispatcher = new Dispatcher(store, new DispatcherConfig(200, 600, 10, 2, true, 10), executor, System::currentTimeMillis);
        dispatcher.start();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new DispatcherGrpcService(dispatcher), new CallerAddressInterceptor()))
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void tearDown() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
        dispatcher.close();
        executor.shutdownNow();
    }

    /** The agent's end, recording what the manager sends. */
    static final class Agent implements StreamObserver<ManagerMessage> {
        final LinkedBlockingQueue<ManagerMessage> received = new LinkedBlockingQueue<>();
        volatile Throwable error;
        StreamObserver<AgentMessage> out;

        @Override
        public void onNext(ManagerMessage m) {
            received.add(m);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
        }

        ManagerMessage next() throws InterruptedException {
            ManagerMessage m = received.poll(15, TimeUnit.SECONDS); // generous: loaded CI machines
            assertNotNull(m, "no message from the manager");
            return m;
        }
    }

    Agent open() {
        Agent agent = new Agent();
        agent.out = DispatcherGrpc.newStub(channel).session(agent);
        return agent;
    }

    @Test
    void registerHeartbeatAssignmentsAndStatusThroughTheStream() throws Exception {
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        store.put(Kind.KIND_TASK, "t2", task("t2", B, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        Agent agent = open();

        agent.out.onNext(AgentMessage.newBuilder().setRegister(Register.newBuilder().setNodeId(A)
                .setDescription(DESC).setAddr("10.0.0.1")).build());

        ManagerMessage started = agent.next();
        assertTrue(started.hasStarted());
        assertEquals(A, started.getStarted().getNodeId());
        assertEquals(200, started.getStarted().getHeartbeatPeriodMs());
        assertEquals(25, started.getStarted().getSessionId().length());
        ManagerMessage first = agent.next();
        assertTrue(first.hasAssignments());
        assertEquals(1, first.getAssignments().getTasksCount());
        assertEquals("t1", first.getAssignments().getTasks(0).getMeta().getId());
        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState());

        agent.out.onNext(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAtMs(1)).build());
        ManagerMessage ack = agent.next();
        assertEquals(started.getStarted().getSessionId(), ack.getStarted().getSessionId());

        agent.out.onNext(AgentMessage.newBuilder().setStatus(StatusReport.newBuilder()
                .addUpdates(update("t1", TaskState.TASK_RUNNING)).addUpdates(update("t2", TaskState.TASK_FAILED))).build());
        await("t1 running", () -> store.task("t1").orElseThrow().getStatus().getState() == TaskState.TASK_RUNNING);
        await("the refusal", () -> dispatcher.refusedForeignReports() == 1);
        assertEquals(TaskState.TASK_ASSIGNED, store.task("t2").orElseThrow().getStatus().getState());
        // its own status is not sent back; the next change of what it is to do comes with the status as it is
        store.put(Kind.KIND_TASK, "t1", store.task("t1").map(t -> StoredObject.newBuilder()
                .setTask(t.toBuilder().setDesiredState(TaskState.TASK_SHUTDOWN)).build()).orElseThrow());
        ManagerMessage again = agent.next();
        assertEquals(TaskState.TASK_SHUTDOWN, again.getAssignments().getTasks(0).getDesiredState());
        assertEquals(TaskState.TASK_RUNNING, again.getAssignments().getTasks(0).getStatus().getState());
    }

    Agent registered(String node) throws InterruptedException {
        Agent agent = open();
        agent.out.onNext(AgentMessage.newBuilder().setRegister(Register.newBuilder().setNodeId(node)
                .setDescription(DESC).setAddr("10.0.0.1")).build());
        assertTrue(agent.next().hasStarted());
        assertTrue(agent.next().hasAssignments());
        return agent;
    }

    @Test
    void aPlanPublishedThroughPublishPlansReachesTheNodesSession() throws Exception {
        Agent a = registered(A);
        DispatcherGrpc.DispatcherBlockingStub network = DispatcherGrpc.newBlockingStub(channel);

        PlanAck ack = network.publishPlans(PlanBatch.newBuilder().setFull(true)
                .addPlans(plan(A, 4, "10.0.0.2")).addPlans(plan(B, 4, "10.0.0.1")).build());

        assertEquals(dispatcher.plans().id(), ack.getRelayId());
        assertEquals(2, ack.getPlans());
        ManagerMessage m = a.next();
        assertTrue(m.hasNetworkPlan(), "a network plan, not " + m);
        assertEquals(plan(A, 4, "10.0.0.2"), m.getNetworkPlan());
        // the same plan at a newer index is not sent again; the next message is the next change
        network.publishPlans(PlanBatch.newBuilder().addPlans(plan(A, 5, "10.0.0.2")).build());
        network.publishPlans(PlanBatch.newBuilder().addPlans(plan(A, 6, "10.0.0.9")).build());
        assertEquals(plan(A, 6, "10.0.0.9"), a.next().getNetworkPlan());

        // B connects later: its plan follows its SessionStarted and first Assignments
        Agent b = registered(B);
        assertEquals(plan(B, 4, "10.0.0.1"), b.next().getNetworkPlan());
    }

    @Test
    void aStreamThatDoesNotStartWithRegisterIsRefused() throws Exception {
        Agent agent = open();

        agent.out.onNext(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()).build());

        await("the error", () -> agent.error != null);
        assertEquals(Status.Code.FAILED_PRECONDITION, Status.fromThrowable(agent.error).getCode());
    }

    @Test
    void aNodeWhoseStreamDiesGoesDownAfterTheGrace() throws Exception {
        Agent agent = open();
        long t0 = System.currentTimeMillis(); // before the last sign of life: down no sooner than the grace after it
        agent.out.onNext(AgentMessage.newBuilder().setRegister(Register.newBuilder().setNodeId(A)
                .setDescription(DESC).setAddr("10.0.0.1")).build());
        agent.next();

        agent.out.onError(new RuntimeException("host crashed"));

        await("node down", () -> store.node(A).orElseThrow().getStatus().getState() == NodeState.NODE_DOWN);
        long took = System.currentTimeMillis() - t0;
        assertTrue(took >= 600, "down after " + took + " ms, grace 600 ms");
    }
}
