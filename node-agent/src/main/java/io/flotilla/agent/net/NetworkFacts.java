package io.flotilla.agent.net;

import io.flotilla.contracts.v1.NetworkPlan;

import java.util.List;
import java.util.Map;

/** What this node's dataplane has set up, for the Engine API's network ls / inspect. */
public interface NetworkFacts {

    /** A container (or the ingress sandbox) on an overlay of this node. */
    record Endpoint(String id, String name, String mac, String address) {
    }

    /** The plan last applied (its overlays are the swarm networks present on this node). */
    NetworkPlan plan();

    /** The endpoints on this node, by network id. */
    Map<String, List<Endpoint>> endpoints();

    NetworkFacts NONE = new NetworkFacts() {
        @Override
        public NetworkPlan plan() {
            return NetworkPlan.getDefaultInstance();
        }

        @Override
        public Map<String, List<Endpoint>> endpoints() {
            return Map.of();
        }
    };
}
