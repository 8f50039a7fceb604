package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.Task;

import java.util.List;

/** Where a session's messages to its agent go (the gRPC stream, or a test's recorder). */
public interface SessionSink {

    /** The full set of tasks the node must run or stop, as of the store index. */
    void assignments(List<Task> tasks, long index);

    /** The node's whole network plan (after the first assignments; again whenever it changes). */
    void networkPlan(NetworkPlan plan);

    /** The dispatcher ends the session (a newer session of the same node replaced it). */
    void replaced();
}
