package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class DispatcherTest {

    static final String A = "aaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String B = "bbbbbbbbbbbbbbbbbbbbbbbbb";
    static final String C = "ccccccccccccccccccccccccc";
    static final NodeDescription DESC = NodeDescription.newBuilder().setHostname("swarm01").setOs("linux")
            .setArchitecture("x86_64").build();

    FakeStateStore store;
    ScheduledExecutorService executor;
    AtomicLong clock;
    Dispatcher dispatcher;

    @BeforeEach
    void setUp() {
        store = new FakeStateStore();
        executor = Executors.newSingleThreadScheduledExecutor();
        clock = new AtomicLong(1_000_000);
        // the liveness loop is not started: the tests step it with their own clock
        dispatcher = new Dispatcher(store, new DispatcherConfig(500, 1500, 10, 2, true, 10), executor, clock::get);
    }

    @AfterEach
    void tearDown() {
        dispatcher.close();
        executor.shutdownNow();
    }

    /** Records what a session sends. */
    static final class Recorder implements SessionSink {
        final List<List<Task>> sets = new CopyOnWriteArrayList<>();
        final List<NetworkPlan> plans = new CopyOnWriteArrayList<>();
        final List<String> order = new CopyOnWriteArrayList<>();   // "assignments" and "plan", as they came
        volatile boolean replaced;

        @Override
        public void assignments(List<Task> tasks, long index) {
            sets.add(tasks);
            order.add("assignments");
        }

        @Override
        public void networkPlan(NetworkPlan plan) {
            plans.add(plan);
            order.add("plan");
        }

        @Override
        public void replaced() {
            replaced = true;
        }

        List<String> lastIds() {
            return sets.get(sets.size() - 1).stream().map(t -> t.getMeta().getId()).toList();
        }
    }

    Dispatcher.Session register(String node, SessionSink sink) {
        return register(node, "10.0.0.1", sink);
    }

    Dispatcher.Session register(String node, String addr, SessionSink sink) {
        Dispatcher.Session s = dispatcher.register(node, DESC, addr, sink).toCompletableFuture().join();
        s.start();
        return s;
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L; // generous: loaded CI machines
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    static StoredObject task(String id, String node, TaskState desired, TaskState observed) {
        return StoredObject.newBuilder().setTask(Task.newBuilder().setMeta(Meta.newBuilder().setId(id))
                .setServiceId("svc").setNodeId(node).setDesiredState(desired)
                .setStatus(TaskStatus.newBuilder().setState(observed))).build();
    }

    static TaskStatusUpdate update(String task, TaskState state) {
        return TaskStatusUpdate.newBuilder().setTaskId(task).setStatus(TaskStatus.newBuilder().setState(state)).build();
    }

    @Test
    void registerCreatesAnAbsentNodeReady() {
        register(A, new Recorder());

        Node n = store.node(A).orElseThrow();
        assertEquals(NodeState.NODE_READY, n.getStatus().getState());
        assertEquals("10.0.0.1", n.getStatus().getAddr());
        assertEquals("swarm01", n.getDescription().getHostname());
        assertEquals(NodeRole.ROLE_WORKER, n.getRole());
        assertEquals("", n.getSpec().getName());
    }

    @Test
    void registerSetsAKnownManagerReadyAndKeepsItsRole() {
        store.raftMembers.add(A);
        store.put(Kind.KIND_NODE, A, StoredObject.newBuilder().setNode(Node.newBuilder()
                .setMeta(Meta.newBuilder().setId(A)).setRole(NodeRole.ROLE_MANAGER)
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_DOWN).setMessage("heartbeat failure")
                        .setAddr("10.0.0.9"))).build());

        register(A, new Recorder());

        Node n = store.node(A).orElseThrow();
        assertEquals(NodeState.NODE_READY, n.getStatus().getState());
        assertEquals("", n.getStatus().getMessage());
        assertEquals("10.0.0.1", n.getStatus().getAddr());
        assertEquals(NodeRole.ROLE_MANAGER, n.getRole());
        assertEquals("10.0.0.1:2377", n.getManagerStatus().getAddr());
    }

    @Test
    void aNodeRegisteringWithTheIdOfARaftMemberIsCreatedAsAManager() {
        store.raftMembers.add(A);

        register(A, new Recorder());

        Node n = store.node(A).orElseThrow();
        assertEquals(NodeRole.ROLE_MANAGER, n.getRole());
        assertEquals(NodeRole.ROLE_MANAGER, n.getSpec().getDesiredRole());
    }

    @Test
    void aManagerNoLongerInTheGroupIsAWorkerWhenItRegistersAgain() {
        store.put(Kind.KIND_NODE, A, StoredObject.newBuilder().setNode(Node.newBuilder()
                .setMeta(Meta.newBuilder().setId(A)).setRole(NodeRole.ROLE_MANAGER)).build());

        register(A, new Recorder());

        Node n = store.node(A).orElseThrow();
        assertEquals(NodeRole.ROLE_WORKER, n.getRole());
        assertFalse(n.hasManagerStatus());
    }

    @Test
    void aNodeIsSentOnlyItsOwnTasksAndAgainWhenTheyChange() throws Exception {
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        store.put(Kind.KIND_TASK, "t2", task("t2", B, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        store.put(Kind.KIND_TASK, "t3", task("t3", A, TaskState.TASK_SHUTDOWN, TaskState.TASK_RUNNING));
        store.put(Kind.KIND_TASK, "t4", task("t4", A, TaskState.TASK_SHUTDOWN, TaskState.TASK_SHUTDOWN));
        store.put(Kind.KIND_TASK, "t5", task("t5", "", TaskState.TASK_RUNNING, TaskState.TASK_PENDING));
        Recorder a = new Recorder();

        register(A, a);

        assertEquals(1, a.sets.size(), "the first set goes out at once");
        assertEquals(List.of("t1", "t3"), a.lastIds());

        store.put(Kind.KIND_TASK, "t6", task("t6", A, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        await("the set with t6", () -> a.sets.size() == 2);
        assertEquals(List.of("t1", "t3", "t6"), a.lastIds());

        // another node's task changes: nothing for A
        store.put(Kind.KIND_TASK, "t2", task("t2", B, TaskState.TASK_SHUTDOWN, TaskState.TASK_RUNNING));
        // t1 moves away from A: a new set without it
        store.put(Kind.KIND_TASK, "t1", task("t1", B, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        await("the set without t1", () -> a.sets.size() == 3);
        assertEquals(List.of("t3", "t6"), a.lastIds());
        Thread.sleep(50);
        assertEquals(3, a.sets.size(), "only changes of A's tasks make a new set");
    }

    @Test
    void changesWithinTheDebounceWindowGoOutAsOneSet() throws Exception {
        Recorder a = new Recorder();
        register(A, a);
        assertEquals(List.of(), a.lastIds());

        for (int i = 0; i < 5; i++) {
            store.put(Kind.KIND_TASK, "t" + i, task("t" + i, A, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        }
        await("the set of 5", () -> a.lastIds().size() == 5);
        assertTrue(a.sets.size() <= 3, "5 quick changes made " + a.sets.size() + " messages");
    }

    @Test
    void aChangeAfterAQuietSpellGoesOutWithoutWaitingForTheDebounce() throws Exception {
        dispatcher.close();
        long hour = 3_600_000;
        dispatcher = new Dispatcher(store, new DispatcherConfig(500, 1500, hour, 2, true, 10), executor, clock::get);
        Recorder a = new Recorder();
        register(A, a);
        clock.addAndGet(hour); // nothing went out for a whole window

        // a replacement task, say: the node gets it now, not an hour later
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        await("the set with t1", () -> a.sets.size() == 2);
        assertEquals(List.of("t1"), a.lastIds());
    }

    @Test
    void aNodeIsNotSentItsOwnStatusReportsBack() throws Exception {
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        Recorder a = new Recorder();
        register(A, a);
        assertEquals(1, a.sets.size());

        // the agent's own news (the store's watch is synchronous here): no new set
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_RUNNING, TaskState.TASK_RUNNING));
        dispatcher.flush();
        assertEquals(1, a.sets.size(), "a status-only change is not sent back");

        // what the node is to do changes: sent, with the status as it now is
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_SHUTDOWN, TaskState.TASK_RUNNING));
        dispatcher.flush();
        await("the set with t1 to shut down", () -> a.sets.size() == 2);
        Task t1 = a.sets.get(1).get(0);
        assertEquals(TaskState.TASK_SHUTDOWN, t1.getDesiredState());
        assertEquals(TaskState.TASK_RUNNING, t1.getStatus().getState());
    }

    @Test
    void aStatusReportForAnotherNodesTaskIsRefusedAndChangesNothing() throws Exception {
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        long t2Version = store.put(Kind.KIND_TASK, "t2", task("t2", B, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        Dispatcher.Session a = register(A, new Recorder());

        a.report(List.of(update("t2", TaskState.TASK_FAILED)));
        await("the refusal", () -> dispatcher.refusedForeignReports() == 1);
        Task t2 = store.task("t2").orElseThrow();
        assertEquals(TaskState.TASK_ASSIGNED, t2.getStatus().getState());
        assertEquals(t2Version, t2.getMeta().getVersion());

        a.report(List.of(update("nope", TaskState.TASK_RUNNING)));
        await("the unknown task", () -> dispatcher.refusedUnknownReports() == 1);

        a.report(List.of(update("t1", TaskState.TASK_ACCEPTED), update("t1", TaskState.TASK_RUNNING)));
        await("t1 running", () -> store.task("t1").orElseThrow().getStatus().getState() == TaskState.TASK_RUNNING);
        assertTrue(store.task("t1").orElseThrow().getStatus().getTimestampMs() > 0);
        assertEquals(1, dispatcher.refusedForeignReports());
    }

    @Test
    void aStatusOnlyMovesForward() throws Exception {
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_RUNNING, TaskState.TASK_RUNNING));
        Dispatcher.Session a = register(A, new Recorder());

        a.report(List.of(update("t1", TaskState.TASK_STARTING)));
        a.report(List.of(update("t1", TaskState.TASK_ORPHANED)));
        Thread.sleep(40);
        assertEquals(TaskState.TASK_RUNNING, store.task("t1").orElseThrow().getStatus().getState());

        a.report(List.of(update("t1", TaskState.TASK_FAILED)));
        await("t1 failed", () -> store.task("t1").orElseThrow().getStatus().getState() == TaskState.TASK_FAILED);
    }

    @Test
    void aStatusReportMeetingAConflictIsAppliedOnFreshState() throws Exception {
        store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_RUNNING, TaskState.TASK_ASSIGNED));
        Dispatcher.Session a = register(A, new Recorder());
        // an orchestrator's write lands between the dispatcher's read and its write
        store.beforeNextApply = () -> store.put(Kind.KIND_TASK, "t1", task("t1", A, TaskState.TASK_SHUTDOWN, TaskState.TASK_ASSIGNED));

        a.report(List.of(update("t1", TaskState.TASK_RUNNING)));
        await("t1 running", () -> store.task("t1").orElseThrow().getStatus().getState() == TaskState.TASK_RUNNING);
        assertEquals(TaskState.TASK_SHUTDOWN, store.task("t1").orElseThrow().getDesiredState(),
                "the status write keeps the desired state written meanwhile");
    }

    @Test
    void aNodeWhoseHeartbeatsStopGoesDownAfterTheGraceAndReadyWhenTheyResume() {
        Dispatcher.Session a = register(A, new Recorder());

        clock.addAndGet(1000);
        a.heartbeat(0);
        clock.addAndGet(1400);
        dispatcher.checkLiveness();
        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState());

        clock.addAndGet(200);
        dispatcher.checkLiveness();
        Node down = store.node(A).orElseThrow();
        assertEquals(NodeState.NODE_DOWN, down.getStatus().getState());
        assertEquals("heartbeat failure", down.getStatus().getMessage());

        int applies = store.applies();
        dispatcher.checkLiveness();
        assertEquals(applies, store.applies(), "a node is marked down once");

        a.heartbeat(0);
        Node back = store.node(A).orElseThrow();
        assertEquals(NodeState.NODE_READY, back.getStatus().getState());
        assertEquals("", back.getStatus().getMessage());
    }

    @Test
    void aSilentNodeWhoseHostAnswersStaysUpUntilTheLimitAndOneWhoseHostDoesNotGoesDownAtTheGrace() {
        dispatcher.close();
        java.util.Map<String, Boolean> answering = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        HostCheck hosts = new HostCheck(addr -> {
            asked.add(addr);
            return java.util.concurrent.CompletableFuture.completedFuture(answering.getOrDefault(addr, false));
        }, 5000, 500);
        dispatcher = new Dispatcher(store, new DispatcherConfig(500, 1500, 10, 2, true, 10), executor, clock::get, hosts);
        Dispatcher.Session a = register(A, "10.0.0.1", new Recorder());
        register(B, "10.0.0.2", new Recorder());
        Dispatcher.Session c = register(C, "10.0.0.3", new Recorder());
        answering.put("10.0.0.1", true); // A's agent is slow on a live host; B's host is gone; C heartbeats

        for (int t = 500; t <= 4500; t += 500) {
            clock.addAndGet(500);
            c.heartbeat(0); // heard from now and then: this manager is not the one stalled
            dispatcher.checkLiveness();
            assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState(), "A after " + t + " ms");
            assertEquals(t < 1500 ? NodeState.NODE_READY : NodeState.NODE_DOWN, store.node(B).orElseThrow().getStatus().getState(),
                    "B after " + t + " ms: its host does not answer");
        }
        assertTrue(asked.stream().filter("10.0.0.1"::equals).count() >= 5, "A's host asked again every 500 ms: " + asked);
        assertEquals(1, asked.stream().filter("10.0.0.2"::equals).count(), "B's host asked once");

        clock.addAndGet(500);
        c.heartbeat(0);
        dispatcher.checkLiveness();
        assertEquals(NodeState.NODE_DOWN, store.node(A).orElseThrow().getStatus().getState(), "A silent for 5 s: down");

        a.heartbeat(0);
        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState());
    }

    @Test
    void aNodeWhoseSessionEndedIsProbedAtItsAddressAndStaysUpWhileItsHostAnswers() {
        dispatcher.close();
        java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        HostCheck hosts = new HostCheck(addr -> {
            asked.add(addr);
            return java.util.concurrent.CompletableFuture.completedFuture("10.0.0.1".equals(addr));
        }, 5000, 500);
        dispatcher = new Dispatcher(store, new DispatcherConfig(500, 1500, 10, 2, true, 10), executor, clock::get, hosts);
        Dispatcher.Session a = register(A, "10.0.0.1", new Recorder());
        Dispatcher.Session b = register(B, "10.0.0.2", new Recorder());
        Dispatcher.Session c = register(C, "10.0.0.3", new Recorder());
        // A's and B's agents gave up on this (slow) manager and ended their streams; A's host answers, B's does not
        a.close();
        b.close();

        for (int t = 500; t <= 3000; t += 500) {
            clock.addAndGet(500);
            c.heartbeat(0);
            dispatcher.checkLiveness();
            assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState(), "A after " + t + " ms");
            assertEquals(t < 1500 ? NodeState.NODE_READY : NodeState.NODE_DOWN, store.node(B).orElseThrow().getStatus().getState(),
                    "B after " + t + " ms: its host does not answer");
        }
        assertTrue(asked.contains("10.0.0.1") && asked.contains("10.0.0.2"), "both asked at their sessions' addresses: " + asked);

        Dispatcher.Session again = register(A, "10.0.0.1", new Recorder()); // A's agent registers again
        for (int t = 0; t < 6000; t += 500) {
            clock.addAndGet(500);
            c.heartbeat(0);
            again.heartbeat(0);
            dispatcher.checkLiveness();
        }
        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState(), "A never went down");

        again.close(); // and then it is gone for good (its host still answers): down at the limit
        for (int t = 500; t <= 5500; t += 500) {
            clock.addAndGet(500);
            c.heartbeat(0);
            dispatcher.checkLiveness();
        }
        assertEquals(NodeState.NODE_DOWN, store.node(A).orElseThrow().getStatus().getState(), "A silent past the limit");
    }

    @Test
    void aProbeThatNeverAnswersCountsAsNoAnswer() throws Exception {
        dispatcher.close();
        HostCheck hung = new HostCheck(addr -> new java.util.concurrent.CompletableFuture<>(), 5000, 500);
        dispatcher = new Dispatcher(store, new DispatcherConfig(500, 1500, 10, 2, true, 10), executor, clock::get, hung);
        register(A, "10.0.0.1", new Recorder());
        Dispatcher.Session b = register(B, "10.0.0.2", new Recorder());

        clock.addAndGet(1600);
        b.heartbeat(0);
        dispatcher.checkLiveness();
        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState(), "while its probe is out");
        await("A down once its probe's time is up", () -> store.node(A).orElseThrow().getStatus().getState() == NodeState.NODE_DOWN);
    }

    @Test
    void whenThisManagerHeardNoNodeAtAllForTheGraceNoneIsDeclaredDownUntilOneIsHeardAgain() {
        Dispatcher.Session a = register(A, new Recorder());
        register(B, new Recorder());

        clock.addAndGet(3000); // this manager stalled: both nodes' heartbeats wait unread
        dispatcher.checkLiveness();
        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState());
        assertEquals(NodeState.NODE_READY, store.node(B).orElseThrow().getStatus().getState());

        a.heartbeat(0); // heartbeats get through again: A's did, B's did not (B is gone)
        dispatcher.checkLiveness();
        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState());
        assertEquals(NodeState.NODE_DOWN, store.node(B).orElseThrow().getStatus().getState());
    }

    @Test
    void aClosedSessionStillGoesDownByTheGracePeriod() {
        Dispatcher.Session a = register(A, new Recorder());
        a.close();

        clock.addAndGet(1600);
        dispatcher.checkLiveness();

        assertEquals(NodeState.NODE_DOWN, store.node(A).orElseThrow().getStatus().getState());
    }

    @Test
    void aNodeWhoseSessionMovedToAnotherManagerIsNotMarkedDown() {
        Dispatcher.Session a = register(A, new Recorder());
        a.close();
        // another manager's dispatcher registers the node again (what it wrote differs from what we wrote)
        Node n = store.node(A).orElseThrow();
        store.put(Kind.KIND_NODE, A, StoredObject.newBuilder().setNode(n.toBuilder()
                .setStatus(n.getStatus().toBuilder().setAddr("10.0.0.2"))).build());

        clock.addAndGet(5000);
        dispatcher.checkLiveness();

        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState());
    }

    @Test
    void aNodeThatLeftGoesDownEvenWhenItsSpecOrRoleChangedMeanwhile() {
        Dispatcher.Session a = register(A, new Recorder());
        // a promotion/demotion or an availability change: a new version, the same status
        Node n = store.node(A).orElseThrow();
        store.put(Kind.KIND_NODE, A, StoredObject.newBuilder().setNode(n.toBuilder()
                .setSpec(n.getSpec().toBuilder().setDesiredRole(NodeRole.ROLE_MANAGER))).build());
        a.close(); // docker swarm leave: the agent ends its stream

        clock.addAndGet(1600);
        dispatcher.checkLiveness();

        assertEquals(NodeState.NODE_DOWN, store.node(A).orElseThrow().getStatus().getState());
    }

    @Test
    void aNodeHeartbeatingHereWhileStoredDownIsReadyAgain() throws Exception {
        Dispatcher.Session a = register(A, new Recorder());
        Node n = store.node(A).orElseThrow();
        // another manager, which held the session before, marked it down
        store.put(Kind.KIND_NODE, A, StoredObject.newBuilder().setNode(n.toBuilder()
                .setStatus(n.getStatus().toBuilder().setState(NodeState.NODE_DOWN))).build());

        a.heartbeat(0);

        await("READY again", () -> store.node(A).orElseThrow().getStatus().getState() == NodeState.NODE_READY);
    }

    // ---------------------------------------------------------------- nodes whose session manager went away

    /** Leader m0 of the group {m0, m1}, probing hosts that answer when listed in {@code answering}. */
    MembershipTest.FakeRaft orphanWatch(java.util.Set<String> answering, List<String> asked) {
        dispatcher.close();
        HostCheck hosts = new HostCheck(addr -> {
            asked.add(addr);
            return java.util.concurrent.CompletableFuture.completedFuture(answering.contains(addr));
        }, 5000, 500);
        dispatcher = new Dispatcher(store, new DispatcherConfig(500, 1500, 10, 2, true, 10), executor, clock::get, hosts);
        MembershipTest.FakeRaft raft = new MembershipTest.FakeRaft();
        raft.members.add("m1");
        raft.reachable.add("m1");
        dispatcher.membership(new Membership(store, raft, clock::get));
        return raft;
    }

    /** A node READY in the store with its session on {@code manager} (registered there, not here). */
    void readyWithSessionOn(String node, String addr, String manager) {
        store.put(Kind.KIND_NODE, node, StoredObject.newBuilder().setNode(Node.newBuilder()
                .setMeta(Meta.newBuilder().setId(node)).setDescription(DESC)
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_READY).setAddr(addr).setSessionManager(manager)))
                .build());
    }

    NodeState stepAndState(String node, long ms) {
        clock.addAndGet(ms);
        dispatcher.checkLiveness();
        return store.node(node).orElseThrow().getStatus().getState();
    }

    @Test
    void aManagerRemovedFromTheRaftGroupRefusesRegistrationsAtOnceAndWritesNothing() {
        MembershipTest.FakeRaft raft = orphanWatch(java.util.Set.of(), new CopyOnWriteArrayList<>());
        raft.members.remove("m0"); // demoted: the group {m1} goes on without this manager
        int applies = store.applies();
        var attempt = dispatcher.register(A, DESC, "10.0.0.1", new Recorder()).toCompletableFuture();
        assertTrue(attempt.isCompletedExceptionally(), "refused at once, not after a timeout");
        assertTrue(attempt.handle((s, e) -> e.getMessage()).join().contains("no longer a member"));
        assertEquals(applies, store.applies());
        assertTrue(store.node(A).isEmpty());

        raft.members.add("m0"); // a member again (promoted): registrations are taken
        register(A, new Recorder());
        assertEquals(NodeState.NODE_READY, store.node(A).orElseThrow().getStatus().getState());
    }

    @Test
    void aRegisteredNodeNamesTheManagerHoldingItsSession() {
        orphanWatch(java.util.Set.of(), new CopyOnWriteArrayList<>());
        register(A, new Recorder());
        assertEquals("m0", store.node(A).orElseThrow().getStatus().getSessionManager());
    }

    @Test
    void theLeaderWatchesANodeWhoseSessionManagerLeftTheGroupAndMarksItDownWhenItsHostIsGone() {
        List<String> asked = new CopyOnWriteArrayList<>();
        MembershipTest.FakeRaft raft = orphanWatch(java.util.Set.of(), asked);
        readyWithSessionOn(A, "10.0.0.1", "m1");
        assertEquals(NodeState.NODE_READY, stepAndState(A, 500));
        assertEquals(NodeState.NODE_READY, stepAndState(A, 5000), "m1 is a reachable member: A is m1's to judge");

        raft.members.remove("m1"); // m1 demoted (or crashed: out of the view), then A's host crashed
        raft.reachable.remove("m1");
        assertEquals(NodeState.NODE_READY, stepAndState(A, 500), "adopted: silent since now");
        assertEquals(NodeState.NODE_READY, stepAndState(A, 1000), "within the grace");
        assertEquals(NodeState.NODE_DOWN, stepAndState(A, 600), "silent for the grace, its host does not answer");
        Node down = store.node(A).orElseThrow();
        assertEquals("heartbeat failure", down.getStatus().getMessage());
        assertEquals(List.of("10.0.0.1"), asked, "the host asked is the stored address");
    }

    @Test
    void anOrphanWhoseHostAnswersStaysUpAndIsLetGoOnceItRegistersWithAManagerThatRemains() {
        MembershipTest.FakeRaft raft = orphanWatch(java.util.Set.of("10.0.0.1"), new CopyOnWriteArrayList<>());
        raft.members.add("m2");
        raft.reachable.add("m2");
        readyWithSessionOn(A, "10.0.0.1", "m1");
        stepAndState(A, 500);
        raft.members.remove("m1");
        for (int t = 0; t <= 9000; t += 500) {
            assertEquals(NodeState.NODE_READY, stepAndState(A, 500), "host answers, " + t + " ms after the adoption");
        }
        readyWithSessionOn(A, "10.0.0.1", "m2"); // the agent's session moved to m2
        for (int t = 0; t <= 20_000; t += 500) {
            assertEquals(NodeState.NODE_READY, stepAndState(A, 500), "m2's to judge, " + t + " ms after the move");
        }
    }

    @Test
    void anOrphanSilentForTwiceTheLimitGoesDownThoughItsHostAnswers() {
        MembershipTest.FakeRaft raft = orphanWatch(java.util.Set.of("10.0.0.1"), new CopyOnWriteArrayList<>());
        readyWithSessionOn(A, "10.0.0.1", "m1");
        stepAndState(A, 500);
        raft.reachable.remove("m1"); // its manager crashed: out of the view, still a member
        stepAndState(A, 500);
        NodeState s = NodeState.NODE_READY;
        int waited = 0;
        while (s == NodeState.NODE_READY && waited < 30_000) {
            s = stepAndState(A, 500);
            waited += 500;
        }
        assertEquals(NodeState.NODE_DOWN, s);
        assertTrue(waited >= 10_000 && waited <= 11_000, "down after twice the limit, not " + waited + " ms");
    }

    @Test
    void aFollowerLeavesOthersOrphansToTheLeader() {
        MembershipTest.FakeRaft raft = orphanWatch(java.util.Set.of(), new CopyOnWriteArrayList<>());
        raft.leader = false;
        readyWithSessionOn(A, "10.0.0.1", "m1");
        stepAndState(A, 500);
        raft.members.remove("m1");
        raft.reachable.remove("m1");
        for (int t = 0; t <= 20_000; t += 500) {
            assertEquals(NodeState.NODE_READY, stepAndState(A, 500));
        }
    }

    @Test
    void aRestartedManagerWatchesTheNodesThatNamedItWithoutASessionHere() {
        orphanWatch(java.util.Set.of(), new CopyOnWriteArrayList<>());
        readyWithSessionOn(A, "10.0.0.1", "m0"); // registered with this manager before its restart
        readyWithSessionOn(B, "10.0.0.2", "m1");
        assertEquals(NodeState.NODE_READY, stepAndState(A, 500));
        assertEquals(NodeState.NODE_READY, stepAndState(A, 1000));
        assertEquals(NodeState.NODE_DOWN, stepAndState(A, 600));
        assertEquals(NodeState.NODE_READY, store.node(B).orElseThrow().getStatus().getState(), "m1 remains: B is its");
    }

    @Test
    void anAdoptedNodeThatRegistersHereIsJudgedByItsHeartbeats() {
        MembershipTest.FakeRaft raft = orphanWatch(java.util.Set.of(), new CopyOnWriteArrayList<>());
        readyWithSessionOn(A, "10.0.0.1", "m1");
        stepAndState(A, 500);
        raft.members.remove("m1");
        stepAndState(A, 500);
        Dispatcher.Session a = register(A, "10.0.0.1", new Recorder());
        for (int t = 0; t <= 5000; t += 500) {
            a.heartbeat(0);
            assertEquals(NodeState.NODE_READY, stepAndState(A, 500));
        }
        assertEquals("m0", store.node(A).orElseThrow().getStatus().getSessionManager());
    }

    @Test
    void aSecondSessionOfANodeReplacesTheFirst() {
        Recorder first = new Recorder();
        register(A, first);
        Recorder second = new Recorder();
        register(A, second);

        assertTrue(first.replaced);
        assertFalse(second.replaced);
        assertEquals(1, dispatcher.sessionCount());
    }
}
