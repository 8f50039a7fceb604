package io.flotilla.agent.session;

import io.flotilla.agent.exec.TaskExecutor;
import io.flotilla.agent.swarm.SwarmState;
import io.flotilla.contracts.v1.AgentMessage;
import io.flotilla.contracts.v1.Assignments;
import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.ManagerMessage;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.OverlayPlan;
import io.flotilla.contracts.v1.SessionStarted;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The session client against fake dispatchers on loopback. */
class SessionClientTest {

    static final String NODE = "n0d3n0d3n0d3n0d3n0d3n0d3x";

    @TempDir
    Path dir;
    final List<FakeManager> managers = new ArrayList<>();
    SessionClient client;
    RecordingExecutor executor = new RecordingExecutor();

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        managers.forEach(FakeManager::stop);
    }

    /** A dispatcher that answers Register and each Heartbeat with SessionStarted, then sends one task. */
    static final class FakeManager extends DispatcherGrpc.DispatcherImplBase {
        final List<AgentMessage> received = new CopyOnWriteArrayList<>();
        final List<StreamObserver<ManagerMessage>> streams = new CopyOnWriteArrayList<>();
        volatile boolean answerHeartbeats = true;
        volatile NetworkPlan plan;   // sent after the first assignments, when set
        volatile String certificate = "";                  // in every SessionStarted, when set
        volatile io.flotilla.contracts.v1.NodeRole role;   // in every SessionStarted, when set
        Server server;

        FakeManager start() throws Exception {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build().start();
            return this;
        }

        String addr() {
            return "127.0.0.1:" + server.getPort();
        }

        void stop() {
            server.shutdownNow();
            try {
                server.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        long count(AgentMessage.MsgCase c) {
            return received.stream().filter(m -> m.getMsgCase() == c).count();
        }

        @Override
        public StreamObserver<AgentMessage> session(StreamObserver<ManagerMessage> out) {
            streams.add(out);
            return new StreamObserver<>() {
                @Override
                public void onNext(AgentMessage m) {
                    received.add(m);
                    synchronized (out) {
                        if (m.hasRegister() || (m.hasHeartbeat() && answerHeartbeats)) {
                            SessionStarted.Builder started = SessionStarted.newBuilder().setSessionId("s1")
                                    .setNodeId(m.hasRegister() ? m.getRegister().getNodeId() : NODE).setHeartbeatPeriodMs(100)
                                    .setCertificatePem(certificate);
                            if (role != null) {
                                started.setDesiredRole(role);
                            }
                            out.onNext(ManagerMessage.newBuilder().setStarted(started).build());
                        }
                        if (m.hasRegister()) {
                            out.onNext(ManagerMessage.newBuilder().setAssignments(Assignments.newBuilder().setIndex(7)
                                    .addTasks(Task.newBuilder().setMeta(Meta.newBuilder().setId("t1")).setNodeId(NODE))).build());
                            if (plan != null) {
                                out.onNext(ManagerMessage.newBuilder().setNetworkPlan(plan).build());
                            }
                        }
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }

    static final class RecordingExecutor implements TaskExecutor {
        final List<List<Task>> reconciled = new CopyOnWriteArrayList<>();
        volatile Consumer<TaskStatusUpdate> sink;

        @Override
        public void reconcile(List<Task> assigned) {
            reconciled.add(assigned);
        }

        @Override
        public void onStatus(Consumer<TaskStatusUpdate> sink) {
            this.sink = sink;
        }

        @Override
        public List<TaskStatusUpdate> currentStatuses() {
            return List.of(update("t0", TaskState.TASK_COMPLETE));
        }
    }

    static TaskStatusUpdate update(String task, TaskState state) {
        return TaskStatusUpdate.newBuilder().setTaskId(task).setStatus(TaskStatus.newBuilder().setState(state)).build();
    }

    static void await(String what, BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    FakeManager manager() throws Exception {
        FakeManager m = new FakeManager().start();
        managers.add(m);
        return m;
    }

    SwarmState swarm(boolean member, List<String> managerAddrs) {
        SwarmState s = new SwarmState(dir, NODE);
        s.update(new SwarmState.Snapshot(NODE, member, false, managerAddrs));
        return s;
    }

    void startClient(SwarmState swarm, long managerTimeoutMs) {
        client = new SessionClient(executor, () -> NodeDescription.newBuilder().setHostname("swarm01").setOs("linux").build(),
                new SessionClient.Settings("10.0.0.7", 50, 400, 3000, managerTimeoutMs));
        client.start(swarm);
    }

    static String closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void aMemberRegistersHeartbeatsRunsItsAssignmentsAndReportsStatus() throws Exception {
        FakeManager m = manager();

        startClient(swarm(true, List.of(m.addr())), 0);

        await("register", () -> m.count(AgentMessage.MsgCase.REGISTER) == 1);
        AgentMessage reg = m.received.get(0);
        assertEquals(NODE, reg.getRegister().getNodeId());
        assertEquals("10.0.0.7", reg.getRegister().getAddr());
        assertEquals("swarm01", reg.getRegister().getDescription().getHostname());
        await("the statuses after connecting", () -> m.count(AgentMessage.MsgCase.STATUS) == 1);
        await("reconcile", () -> executor.reconciled.size() == 1);
        assertEquals("t1", executor.reconciled.get(0).get(0).getMeta().getId());
        await("heartbeats at the manager's period", () -> m.count(AgentMessage.MsgCase.HEARTBEAT) >= 3);

        executor.sink.accept(update("t1", TaskState.TASK_RUNNING));
        await("the status report", () -> m.received.stream().anyMatch(a -> a.hasStatus()
                && a.getStatus().getUpdates(0).getTaskId().equals("t1")));
        assertEquals(1, client.sessionsStarted());
    }

    @Test
    void theNetworkPlanGoesToThePlanListener() throws Exception {
        FakeManager m = manager();
        NetworkPlan plan = NetworkPlan.newBuilder().setNodeId(NODE).setIndex(9)
                .addOverlays(OverlayPlan.newBuilder().setNetworkId("ingressnet").setVni(4096).addPeerVteps("10.0.0.8")).build();
        m.plan = plan;
        List<NetworkPlan> plans = new CopyOnWriteArrayList<>();
        client = new SessionClient(executor, () -> NodeDescription.newBuilder().setHostname("swarm01").build(),
                new SessionClient.Settings("10.0.0.7", 50, 400, 3000, 0));
        client.onNetworkPlan(plans::add);

        client.start(swarm(true, List.of(m.addr())));

        await("the plan", () -> plans.size() == 1);
        assertEquals(plan, plans.get(0));
        await("the assignments too", () -> executor.reconciled.size() == 1);
    }

    @Test
    void aRenewedCertificateIsHandedOnBeforeTheRoleHintOfTheSameMessage() throws Exception {
        FakeManager m = manager();
        m.certificate = "-----BEGIN CERTIFICATE-----\nrenewed\n-----END CERTIFICATE-----\n";
        m.role = io.flotilla.contracts.v1.NodeRole.ROLE_MANAGER;
        List<String> events = new CopyOnWriteArrayList<>();
        client = new SessionClient(executor, () -> NodeDescription.newBuilder().setHostname("swarm01").build(),
                new SessionClient.Settings("10.0.0.7", 50, 400, 3000, 0));
        client.onCertificate(pem -> events.add("certificate " + pem.length()));
        client.onRole(h -> events.add("role " + h.role()));

        client.start(swarm(true, List.of(m.addr())));

        await("both", () -> events.size() >= 2);
        assertEquals(List.of("certificate " + m.certificate.length(), "role ROLE_MANAGER"), events.subList(0, 2));
    }

    @Test
    void aNodeThatLeavesRunsNoTaskAndNoSwarmNetwork() throws Exception {
        FakeManager m = manager();
        SwarmState swarm = swarm(true, List.of(m.addr()));
        List<NetworkPlan> plans = new CopyOnWriteArrayList<>();
        client = new SessionClient(executor, () -> NodeDescription.newBuilder().setHostname("swarm01").setOs("linux").build(),
                new SessionClient.Settings("10.0.0.7", 50, 400, 3000, 0));
        client.onNetworkPlan(plans::add);
        client.start(swarm);
        await("reconcile", () -> executor.reconciled.size() == 1);
        assertEquals(1, executor.reconciled.get(0).size());

        swarm.update(new SwarmState.Snapshot("freshid00000000000000000a", false, false, List.of()));
        await("the empty assignment", () -> executor.reconciled.size() == 2);
        assertEquals(List.of(), executor.reconciled.get(1), "its task containers are stopped and removed");
        assertEquals(List.of(NetworkPlan.getDefaultInstance()), plans, "its overlays and ingress sandbox go");
        // and no more once out
        swarm.update(new SwarmState.Snapshot("freshid00000000000000000a", false, false, List.of()));
        Thread.sleep(100);
        assertEquals(2, executor.reconciled.size());
    }

    @Test
    void anUnreachableManagerIsSkipped() throws Exception {
        FakeManager m = manager();

        startClient(swarm(true, List.of(closedPort(), m.addr())), 0);

        await("a session with the live manager", () -> m.addr().equals(client.connectedTo()));
        assertTrue(m.count(AgentMessage.MsgCase.REGISTER) >= 1);
    }

    @Test
    void whenTheManagerDiesTheSessionMovesToTheNextOne() throws Exception {
        FakeManager first = manager();
        FakeManager second = manager();
        startClient(swarm(true, List.of(first.addr(), second.addr())), 0);
        await("the first session", () -> first.count(AgentMessage.MsgCase.REGISTER) == 1);

        long t0 = System.currentTimeMillis();
        first.stop();

        await("register at the second manager", () -> second.count(AgentMessage.MsgCase.REGISTER) == 1);
        long took = System.currentTimeMillis() - t0;
        assertTrue(took < 1000, "failover took " + took + " ms");
        await("heartbeats to the second", () -> second.count(AgentMessage.MsgCase.HEARTBEAT) >= 1);
    }

    @Test
    void aSilentManagerIsLeftAfterTheManagerTimeout() throws Exception {
        FakeManager quiet = manager();
        quiet.answerHeartbeats = false;
        FakeManager second = manager();
        startClient(swarm(true, List.of(quiet.addr(), second.addr())), 300);

        await("register at the second manager", () -> second.count(AgentMessage.MsgCase.REGISTER) == 1);
        assertTrue(quiet.count(AgentMessage.MsgCase.REGISTER) >= 1);
    }

    @Test
    void theOnlyManagerIsWaitedForLongerBeforeItsSessionIsDropped() throws Exception {
        FakeManager only = manager();
        startClient(swarm(true, List.of(only.addr())), 200);
        await("the session", () -> only.count(AgentMessage.MsgCase.HEARTBEAT) >= 1);

        only.answerHeartbeats = false; // slow, not gone: nowhere else to go, so the session is kept past the timeout
        Thread.sleep(500);
        assertEquals(1, only.count(AgentMessage.MsgCase.REGISTER), "no new registration after 500 ms of silence");
        assertEquals(1, client.sessionsStarted());
        only.answerHeartbeats = true;
        Thread.sleep(400);
        assertEquals(1, only.count(AgentMessage.MsgCase.REGISTER), "the same session goes on once it answers");

        only.answerHeartbeats = false; // silent past four timeouts: dropped and registered again
        await("a new registration", () -> only.count(AgentMessage.MsgCase.REGISTER) == 2);
    }

    @Test
    void theSilenceLimitIsTheTimeoutOnlyWhenAnotherManagerIsKnown() {
        assertEquals(3000, SessionClient.silenceLimit(3000, List.of("a:2377", "b:2377"), "a:2377"));
        assertEquals(12000, SessionClient.silenceLimit(3000, List.of("a:2377"), "a:2377"));
        assertEquals(12000, SessionClient.silenceLimit(3000, List.of(), "a:2377"));
    }

    @Test
    void noSessionUnlessMemberAndNoneAfterLeaving() throws Exception {
        FakeManager m = manager();
        SwarmState swarm = swarm(false, List.of(m.addr()));
        startClient(swarm, 0);
        Thread.sleep(80);
        assertEquals(0, m.received.size(), "not a member: no session");

        swarm.update(new SwarmState.Snapshot(NODE, true, false, List.of(m.addr())));
        await("register after joining", () -> m.count(AgentMessage.MsgCase.REGISTER) == 1);

        swarm.update(new SwarmState.Snapshot(NODE, false, false, List.of()));
        await("the session to end", () -> client.connectedTo().isEmpty());
        long beats = m.count(AgentMessage.MsgCase.HEARTBEAT);
        Thread.sleep(90);
        assertEquals(beats, m.count(AgentMessage.MsgCase.HEARTBEAT), "no heartbeats after leaving");
        assertEquals(1, m.count(AgentMessage.MsgCase.REGISTER));
    }
}
