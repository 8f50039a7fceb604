package io.flotilla.network.plan;

import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.PlanAck;
import io.flotilla.contracts.v1.PlanBatch;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** The dispatcher's relay as PublishPlans shows it: holds the latest plan per node, answers its id and count. */
final class FakeRelay implements PlanPublisher.Relay {
    final List<PlanBatch> batches = new CopyOnWriteArrayList<>();
    final Map<String, NetworkPlan> held = new ConcurrentHashMap<>();
    volatile String id = "relay-1";
    volatile int failNext;

    @Override
    public synchronized PlanAck publish(PlanBatch batch) {
        if (failNext > 0) {
            failNext--;
            throw new IllegalStateException("UNAVAILABLE: io exception");
        }
        batches.add(batch);
        Set<String> named = new HashSet<>();
        for (NetworkPlan p : batch.getPlansList()) {
            held.put(p.getNodeId(), p);
            named.add(p.getNodeId());
        }
        if (batch.getFull()) {
            held.keySet().retainAll(named);
        }
        return PlanAck.newBuilder().setRelayId(id).setPlans(held.size()).build();
    }

    /** The manager restarted: a new relay, empty. */
    synchronized void restart() {
        held.clear();
        id = id + "'";
    }

    PlanBatch last() {
        return batches.get(batches.size() - 1);
    }
}
