package io.flotilla.network.plan;

import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.network.allocator.Allocator;
import io.flotilla.network.ipam.Ipam;
import io.flotilla.network.loop.AllocatorLoop;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.flotilla.network.allocator.Fixtures.network;
import static io.flotilla.network.allocator.Fixtures.node;
import static io.flotilla.network.plan.PlanDiffTest.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class PlanPublisherTest {

    // debounce 15, at most 100 after the first change, backoff 200 doubling to 1000, check every 2000
    static final PlanPublisher.Settings SETTINGS = new PlanPublisher.Settings(15, 100, 200, 1000, 2000);

    final AtomicLong clock = new AtomicLong(1000);
    final FakeRelay relay = new FakeRelay();
    final AtomicReference<Optional<List<NetworkPlan>>> view =
            new AtomicReference<>(Optional.of(List.of(plan("n1", 1, "10.0.0.2"), plan("n2", 1, "10.0.0.1"))));
    final AtomicInteger computed = new AtomicInteger();
    final PlanPublisher publisher = new PlanPublisher(() -> {
        computed.incrementAndGet();
        return view.get();
    }, relay, SETTINGS, clock::get);

    /** Moves the clock to {@code at} and steps. */
    void stepAt(long at) {
        clock.set(at);
        publisher.step(at);
    }

    void changeAt(long at, List<NetworkPlan> plans) {
        clock.set(at);
        view.set(Optional.of(plans));
        publisher.changed();
    }

    @Test
    void nothingGoesBeforeTheFirstChange() {
        stepAt(1000);
        stepAt(60_000);

        assertEquals(0, computed.get());
        assertEquals(0, relay.batches.size());
    }

    @Test
    void aBurstOfChangesGoesOutOnceAQuietDebounceAfterTheLastOne() {
        changeAt(1000, List.of(plan("n1", 1, "10.0.0.2"), plan("n2", 1, "10.0.0.1")));
        changeAt(1005, List.of(plan("n1", 2, "10.0.0.2"), plan("n2", 2, "10.0.0.1")));
        changeAt(1010, List.of(plan("n1", 3, "10.0.0.2"), plan("n2", 3, "10.0.0.1")));

        assertEquals(1025, publisher.dueAt());
        stepAt(1024);
        assertEquals(0, relay.batches.size(), "still within the debounce");
        stepAt(1025);

        assertEquals(1, relay.batches.size());
        assertEquals(1, computed.get(), "the plans are computed once for the burst");
        assertTrue(relay.last().getFull(), "the first batch is full");
        assertEquals(List.of(plan("n1", 3, "10.0.0.2"), plan("n2", 3, "10.0.0.1")), relay.last().getPlansList());
    }

    @Test
    void aStreamOfChangesStillGoesOutWithinTheMaximumDelay() {
        for (long t = 1000; t <= 1210; t += 10) {
            changeAt(t, List.of(plan("n1", t, "10.0.0.2", "10.1." + t)));
            publisher.step(t);
        }

        assertEquals(2, relay.batches.size(), "one at 1100, one at 1210 (100 ms after the first change after 1100)");
        assertEquals(List.of(plan("n1", 1210, "10.0.0.2", "10.1.1210")), relay.last().getPlansList());
    }

    @Test
    void afterTheFirstBatchOnlyChangedPlansGo() {
        changeAt(1000, List.of(plan("n1", 1, "10.0.0.2"), plan("n2", 1, "10.0.0.1")));
        stepAt(1015);

        changeAt(1100, List.of(plan("n1", 2, "10.0.0.2"), plan("n2", 2, "10.0.0.1", "10.0.0.3")));
        stepAt(1115);
        changeAt(1200, List.of(plan("n1", 3, "10.0.0.2"), plan("n2", 3, "10.0.0.1", "10.0.0.3")));
        stepAt(1215);

        assertEquals(2, relay.batches.size(), "the third change changed only indexes: no call");
        assertFalse(relay.last().getFull());
        assertEquals(List.of(plan("n2", 2, "10.0.0.1", "10.0.0.3")), relay.last().getPlansList());
    }

    @Test
    void aFailedCallIsRetriedWithBackoffAsAFullBatchOfTheCurrentPlans() {
        changeAt(1000, List.of(plan("n1", 1, "10.0.0.2"), plan("n2", 1, "10.0.0.1")));
        stepAt(1015);
        changeAt(1100, List.of(plan("n1", 2, "10.0.0.9"), plan("n2", 2, "10.0.0.1")));
        relay.failNext = 2;

        stepAt(1115);                    // fails: again at 1315
        assertEquals(1315, publisher.dueAt());
        stepAt(1300);
        stepAt(1315);                    // fails: again at 1715
        assertEquals(1715, publisher.dueAt());
        changeAt(1500, List.of(plan("n1", 3, "10.0.0.9"), plan("n2", 3, "10.0.0.5")));
        stepAt(1700);
        assertEquals(1, relay.batches.size(), "nothing gets through before the backoff ends");

        stepAt(1715);

        assertEquals(2, relay.batches.size());
        assertTrue(relay.last().getFull());
        assertEquals(List.of(plan("n1", 3, "10.0.0.9"), plan("n2", 3, "10.0.0.5")), relay.last().getPlansList());
        assertEquals(2, publisher.callsFailed());
        // back in sync: the next change goes alone, without a backoff
        changeAt(1800, List.of(plan("n1", 4, "10.0.0.9"), plan("n2", 4, "10.0.0.6")));
        stepAt(1815);
        assertFalse(relay.last().getFull());
    }

    @Test
    void aRestartedRelayIsFoundByTheCheckAndFilledAgain() {
        changeAt(1000, List.of(plan("n1", 1, "10.0.0.2"), plan("n2", 1, "10.0.0.1")));
        stepAt(1015);
        assertEquals(3015, publisher.dueAt(), "then a check every 2 s");

        relay.restart();
        stepAt(3015);                    // the check: an empty batch, answered by a relay that holds nothing
        assertEquals(0, relay.last().getPlansCount());
        stepAt(3030);

        assertTrue(relay.last().getFull());
        assertEquals(2, relay.held.size());
    }

    @Test
    void nothingGoesWhileTheViewIsNotLoaded() {
        view.set(Optional.empty());
        clock.set(1000);
        publisher.changed();
        stepAt(1015);
        stepAt(10_000);

        assertEquals(0, relay.batches.size(), "an empty full batch would drop every plan the relay holds");
        changeAt(20_000, List.of(plan("n1", 1)));
        stepAt(20_015);
        assertTrue(relay.last().getFull());
    }

    // ---------------------------------------------------------------- on the allocator loop, in real time

    @Test
    void onTheLoopTheViewsChangesGoOutAsPlans() throws Exception {
        FakeRelay relay = new FakeRelay();
        AllocatorLoop loop = new AllocatorLoop(new Allocator(new Ipam()), r -> {
            throw new AssertionError("not active: no writes");
        }, () -> false, System::currentTimeMillis);
        PlanPublisher live = new PlanPublisher(() -> {
            try {
                return loop.read(PlanPublisher::plansOf).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, relay, SETTINGS, System::currentTimeMillis);
        loop.onViewChange(live::changed);
        try {
            live.start("test-plans");
            loop.start("test-loop");
            StoredObject ingress = network("ingress00000000000000000a", "ingress", "10.255.0.0/16");
            ingress = ingress.toBuilder().setNetwork(ingress.getNetwork().toBuilder().setIngress(true)).build();
            loop.load(List.of(ingress, node("n1", "10.0.0.1"), node("n2", "10.0.0.2")), 10);

            await("the full batch", () -> relay.batches.size() == 1);
            assertTrue(relay.last().getFull());
            assertEquals(List.of("n1", "n2"), relay.last().getPlansList().stream().map(NetworkPlan::getNodeId).toList());

            assertEquals(List.of("10.0.0.2"), relay.held.get("n1").getOverlays(0).getPeerVtepsList());

            // n2 comes back with another address: both plans change (n2's only in its index: it is not sent)
            loop.submit(StateEvent.newBuilder().setIndex(11).setVersion(11).setObject(node("n2", "10.0.0.3")).build());

            await("the changed plan", () -> relay.batches.size() == 2);
            assertFalse(relay.last().getFull());
            assertEquals(List.of("n1"), relay.last().getPlansList().stream().map(NetworkPlan::getNodeId).toList());
            assertEquals(List.of("10.0.0.3"), relay.held.get("n1").getOverlays(0).getPeerVtepsList());
        } finally {
            live.close();
            loop.close();
        }
    }

    static void await(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
