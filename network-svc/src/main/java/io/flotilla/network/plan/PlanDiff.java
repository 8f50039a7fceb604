package io.flotilla.network.plan;

import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.PlanAck;
import io.flotilla.contracts.v1.PlanBatch;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the dispatcher's relay holds, as far as the publisher knows, and the batch that brings it to the current
 * plans: only the plans that changed (their {@code index} aside), or every plan in a full batch when the relay's
 * holdings are unknown (at start, after a failed call, after the relay restarted or counts otherwise) or a node
 * is gone (a full batch is how the relay learns to drop its plan).
 */
public final class PlanDiff {

    private final Map<String, NetworkPlan> held = new HashMap<>();   // node id -> the plan the relay acknowledged
    private boolean full = true;
    private String relayId;

    /** The batch to send for the current plans (one per node); empty (and not full) when nothing changed. */
    public PlanBatch next(Collection<NetworkPlan> current) {
        Set<String> nodes = new HashSet<>();
        PlanBatch.Builder changed = PlanBatch.newBuilder();
        for (NetworkPlan p : current) {
            nodes.add(p.getNodeId());
            NetworkPlan before = held.get(p.getNodeId());
            if (before == null || !sameIgnoringIndex(before, p)) {
                changed.addPlans(p);
            }
        }
        if (full || !nodes.containsAll(held.keySet())) {
            return PlanBatch.newBuilder().addAllPlans(current).setFull(true).build();
        }
        return changed.build();
    }

    /** The relay took {@code sent} and answered {@code ack}. */
    public void acknowledged(PlanBatch sent, PlanAck ack) {
        if (sent.getFull()) {
            held.clear();
        }
        for (NetworkPlan p : sent.getPlansList()) {
            held.put(p.getNodeId(), p);
        }
        boolean restarted = relayId != null && !relayId.equals(ack.getRelayId());
        relayId = ack.getRelayId();
        // only a full batch ends the need for one; a relay that restarted (or counts otherwise) needs one
        full = ((full || restarted) && !sent.getFull()) || ack.getPlans() != held.size();
    }

    /** A call failed: whatever it did, the relay's holdings are unknown until a full batch. */
    public void failed() {
        full = true;
    }

    /** Whether the next batch is to be full. */
    public boolean needsFull() {
        return full;
    }

    static boolean sameIgnoringIndex(NetworkPlan a, NetworkPlan b) {
        return a.toBuilder().clearIndex().build().equals(b.toBuilder().clearIndex().build());
    }
}
