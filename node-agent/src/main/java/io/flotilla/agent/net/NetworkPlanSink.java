package io.flotilla.agent.net;

import io.flotilla.contracts.v1.NetworkPlan;

/**
 * Where the session hands each network plan the dispatcher sends for this node (level-based: every plan
 * is the whole desired dataplane; what it no longer names is to be removed). Called on the session's
 * thread: implementations queue the work and return at once.
 */
public interface NetworkPlanSink {

    void accept(NetworkPlan plan);
}
