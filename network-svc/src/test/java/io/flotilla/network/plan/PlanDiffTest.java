package io.flotilla.network.plan;

import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.OverlayPlan;
import io.flotilla.contracts.v1.PlanAck;
import io.flotilla.contracts.v1.PlanBatch;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanDiffTest {

    final PlanDiff diff = new PlanDiff();
    final FakeRelay relay = new FakeRelay();

    static NetworkPlan plan(String node, long index, String... peers) {
        return NetworkPlan.newBuilder().setNodeId(node).setIndex(index)
                .addOverlays(OverlayPlan.newBuilder().setNetworkId("ingressnet").setVni(4096).setIngress(true)
                        .addAllPeerVteps(List.of(peers)))
                .build();
    }

    /** Sends what the diff says to the fake relay and tells the diff the answer. */
    PlanBatch send(List<NetworkPlan> current) {
        PlanBatch b = diff.next(current);
        diff.acknowledged(b, relay.publish(b));
        return b;
    }

    @Test
    void theFirstBatchIsFullThenOnlyPlansThatChangedOtherThanInTheirIndexGo() {
        PlanBatch first = send(List.of(plan("n1", 5, "10.0.0.2"), plan("n2", 5, "10.0.0.1")));
        assertTrue(first.getFull());
        assertEquals(2, first.getPlansCount());

        PlanBatch sameButIndex = diff.next(List.of(plan("n1", 6, "10.0.0.2"), plan("n2", 6, "10.0.0.1")));
        assertFalse(sameButIndex.getFull());
        assertEquals(0, sameButIndex.getPlansCount());

        PlanBatch oneChanged = send(List.of(plan("n1", 7, "10.0.0.2", "10.0.0.3"), plan("n2", 7, "10.0.0.1")));
        assertFalse(oneChanged.getFull());
        assertEquals(List.of(plan("n1", 7, "10.0.0.2", "10.0.0.3")), oneChanged.getPlansList());
        assertFalse(diff.needsFull());
    }

    @Test
    void aNewNodeGoesAloneAndAGoneNodeMakesTheBatchFull() {
        send(List.of(plan("n1", 5, "10.0.0.2"), plan("n2", 5, "10.0.0.1")));

        PlanBatch added = send(List.of(plan("n1", 6, "10.0.0.2"), plan("n2", 6, "10.0.0.1"), plan("n3", 6)));
        assertFalse(added.getFull());
        assertEquals(List.of(plan("n3", 6)), added.getPlansList());

        PlanBatch removed = send(List.of(plan("n1", 7, "10.0.0.2"), plan("n3", 7)));
        assertTrue(removed.getFull(), "the relay drops n2's plan only on a full batch");
        assertEquals(2, removed.getPlansCount());
        assertEquals(2, relay.held.size());
    }

    @Test
    void afterAFailedCallTheNextBatchIsFull() {
        send(List.of(plan("n1", 5, "10.0.0.2")));

        diff.failed();

        assertTrue(diff.needsFull());
        PlanBatch again = send(List.of(plan("n1", 6, "10.0.0.2")));
        assertTrue(again.getFull());
        assertEquals(1, again.getPlansCount(), "unchanged plans too: the failed call may have done anything");
        assertFalse(diff.needsFull());
    }

    @Test
    void aRelayThatRestartedOrCountsOtherwiseGetsAFullBatch() {
        send(List.of(plan("n1", 5, "10.0.0.2"), plan("n2", 5, "10.0.0.1")));

        relay.restart();
        send(List.of(plan("n1", 6, "10.0.0.3"), plan("n2", 6, "10.0.0.1")));   // only n1 goes, to an empty relay

        assertTrue(diff.needsFull());
        assertTrue(send(List.of(plan("n1", 7, "10.0.0.3"), plan("n2", 7, "10.0.0.1"))).getFull());
        assertEquals(2, relay.held.size());

        // an acknowledgement counting other than we do (same relay)
        PlanBatch empty = PlanBatch.getDefaultInstance();
        diff.acknowledged(empty, PlanAck.newBuilder().setRelayId(relay.id).setPlans(5).build());
        assertTrue(diff.needsFull());
    }

    @Test
    void aCheckWithoutChangesKeepsTheRelayInSync() {
        send(List.of(plan("n1", 5, "10.0.0.2")));

        PlanBatch check = PlanBatch.getDefaultInstance();
        diff.acknowledged(check, relay.publish(check));

        assertFalse(diff.needsFull());
    }
}
