package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.OverlayPlan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static io.flotilla.state.dispatcher.DispatcherTest.A;
import static io.flotilla.state.dispatcher.DispatcherTest.B;
import static io.flotilla.state.dispatcher.DispatcherTest.DESC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanRelayTest {

    static final SocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 40000);

    /** A session that records the plans it is given. */
    static final class Session implements PlanRelay.Target {
        final List<NetworkPlan> got = new CopyOnWriteArrayList<>();

        @Override
        public void plan(NetworkPlan plan) {
            got.add(plan);
        }
    }

    final Map<String, Session> sessions = new HashMap<>();
    final PlanRelay relay = new PlanRelay(sessions::get);

    /** A plan for a node with one overlay whose only peer is {@code peer}. */
    static NetworkPlan plan(String node, long index, String peer) {
        return NetworkPlan.newBuilder().setNodeId(node).setIndex(index)
                .addOverlays(OverlayPlan.newBuilder().setNetworkId("ingressnet").setVni(4096).setIngress(true)
                        .addPeerVteps(peer))
                .build();
    }

    @Test
    void aChangedPlanGoesToTheSessionAndOneChangedOnlyInItsIndexDoesNot() {
        Session a = new Session();
        sessions.put(A, a);

        PlanRelay.Published first = relay.publish(LOCAL, List.of(plan(A, 5, "10.0.0.2")), false);
        PlanRelay.Published same = relay.publish(LOCAL, List.of(plan(A, 6, "10.0.0.2")), false);
        PlanRelay.Published changed = relay.publish(LOCAL, List.of(plan(A, 7, "10.0.0.3")), false);

        assertEquals(new PlanRelay.Published(1, 0, 1), first);
        assertEquals(new PlanRelay.Published(0, 0, 1), same);
        assertEquals(new PlanRelay.Published(1, 0, 1), changed);
        assertEquals(List.of(plan(A, 5, "10.0.0.2"), plan(A, 7, "10.0.0.3")), a.got);
        assertEquals(plan(A, 7, "10.0.0.3"), relay.latest(A).orElseThrow());
    }

    @Test
    void aPlanGoesOnlyToItsOwnNode() {
        Session a = new Session();
        Session b = new Session();
        sessions.put(A, a);
        sessions.put(B, b);

        relay.publish(LOCAL, List.of(plan(B, 1, "10.0.0.1")), false);

        assertEquals(List.of(), a.got);
        assertEquals(List.of(plan(B, 1, "10.0.0.1")), b.got);
    }

    @Test
    void aSessionThatStartsGetsTheLatestPlanOfItsNode() {
        relay.publish(LOCAL, List.of(plan(A, 1, "10.0.0.2"), plan(B, 1, "10.0.0.1")), true);
        relay.publish(LOCAL, List.of(plan(A, 2, "10.0.0.3")), false);
        Session a = new Session();
        Session other = new Session();

        relay.started(A, a);
        relay.started("nobody", other);

        assertEquals(List.of(plan(A, 2, "10.0.0.3")), a.got);
        assertEquals(List.of(), other.got, "no plan, nothing sent");
    }

    @Test
    void aFullBatchDropsThePlansOfNodesItDoesNotName() {
        relay.publish(LOCAL, List.of(plan(A, 1, "10.0.0.2"), plan(B, 1, "10.0.0.1")), false);

        PlanRelay.Published partial = relay.publish(LOCAL, List.of(plan(A, 2, "10.0.0.2")), false);
        assertEquals(2, partial.held(), "a batch that is not full drops nothing");

        PlanRelay.Published full = relay.publish(LOCAL, List.of(plan(A, 3, "10.0.0.2")), true);

        assertEquals(new PlanRelay.Published(0, 1, 1), full);
        assertTrue(relay.latest(A).isPresent());
        assertFalse(relay.latest(B).isPresent());
        Session b = new Session();
        relay.started(B, b);
        assertEquals(List.of(), b.got);
    }

    @Test
    void aCallerNotOnThisHostIsRefusedAndChangesNothing() {
        Session a = new Session();
        sessions.put(A, a);

        assertThrows(PlanRelay.Refused.class,
                () -> relay.publish(new InetSocketAddress("10.0.0.5", 40000), List.of(plan(A, 1, "10.0.0.2")), true));
        assertThrows(PlanRelay.Refused.class, () -> relay.publish(null, List.of(plan(A, 1, "10.0.0.2")), true));

        assertEquals(0, relay.size());
        assertEquals(List.of(), a.got);
        relay.publish(new InetSocketAddress("::1", 40000), List.of(plan(A, 1, "10.0.0.2")), true);
        assertEquals(1, a.got.size(), "IPv6 loopback is this host too");
    }

    @Test
    void eachRelayHasItsOwnId() {
        assertEquals(25, relay.id().length());
        assertNotEquals(relay.id(), new PlanRelay(n -> null).id());
    }

    // ---------------------------------------------------------------- through the dispatcher's sessions

    final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    final Dispatcher dispatcher = new Dispatcher(new FakeStateStore(), new DispatcherConfig(500, 1500, 10, 2, true, 10),
            executor, System::currentTimeMillis);

    @AfterEach
    void tearDown() {
        dispatcher.close();
        executor.shutdownNow();
    }

    Dispatcher.Session register(String node, SessionSink sink) {
        return dispatcher.register(node, DESC, "10.0.0.1", sink).toCompletableFuture().join();
    }

    @Test
    void aSessionGetsItsLatestPlanAfterItsFirstAssignmentsThenEveryChange() throws Exception {
        dispatcher.plans().publish(LOCAL, List.of(plan(A, 1, "10.0.0.2")), true);
        DispatcherTest.Recorder a = new DispatcherTest.Recorder();

        register(A, a).start();

        DispatcherTest.await("the plan", () -> a.plans.size() == 1);
        assertEquals(List.of("assignments", "plan"), a.order);
        dispatcher.plans().publish(LOCAL, List.of(plan(A, 2, "10.0.0.2")), true);
        dispatcher.plans().publish(LOCAL, List.of(plan(A, 3, "10.0.0.3")), true);
        assertEquals(List.of(plan(A, 1, "10.0.0.2"), plan(A, 3, "10.0.0.3")), a.plans);
    }

    @Test
    void aPlanPublishedBeforeTheFirstAssignmentsWaitsForThem() throws Exception {
        DispatcherTest.Recorder a = new DispatcherTest.Recorder();
        Dispatcher.Session s = register(A, a);
        // open, but its first assignments have not gone out: the plan waits for them
        s.plan(plan(A, 1, "10.0.0.2"));
        assertEquals(List.of(), a.order);

        s.start();

        DispatcherTest.await("the plan", () -> a.plans.size() == 1);
        assertEquals(List.of("assignments", "plan"), a.order);
    }

    @Test
    void aClosedSessionGetsNoPlan() throws Exception {
        DispatcherTest.Recorder a = new DispatcherTest.Recorder();
        Dispatcher.Session s = register(A, a);
        s.start();
        DispatcherTest.await("the assignments", () -> a.sets.size() == 1);

        s.close();
        dispatcher.plans().publish(LOCAL, List.of(plan(A, 1, "10.0.0.2")), true);

        assertEquals(List.of(), a.plans);
    }
}
