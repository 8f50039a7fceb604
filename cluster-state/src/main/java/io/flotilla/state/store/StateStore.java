package io.flotilla.state.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.WatchResponse;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The store as the rest of cluster-state sees it (the gRPC Store service, the dispatcher, the event
 * publisher): writes go through Raft and complete once committed; reads come from this manager's
 * materialized state.
 */
public interface StateStore {

    /** Proposes a batch; completes with the outcome once committed (or fails: no quorum, not started). */
    CompletionStage<ApplyResponse> apply(ApplyRequest request);

    Optional<StoredObject> get(Kind kind, String id);

    /** Objects of a kind matching every filter (keys as in ListRequest.filters). */
    List<StoredObject> list(Kind kind, Map<String, String> filters);

    /** The index of the last batch applied on this manager. */
    long index();

    /**
     * A snapshot of the current state followed by every later change, with no gap (from 0), or every
     * change after fromIndex. The listener is called from one thread, in index order.
     */
    Watch watch(Set<Kind> kinds, long fromIndex, Consumer<WatchResponse> listener);

    /**
     * As {@link #watch(Set, long, Consumer)}, and onError is called (once, last) when the watch ends on
     * its own: FAILED_PRECONDITION when fromIndex is no longer in the history, when the watcher fell too
     * far behind, or when this manager's state was replaced by a snapshot (watch again from 0).
     */
    default Watch watch(Set<Kind> kinds, long fromIndex, Consumer<WatchResponse> listener, Consumer<Throwable> onError) {
        return watch(kinds, fromIndex, listener);
    }

    /** Objects of a kind matching every filter, with the index they reflect (one consistent view). */
    default Listing listing(Kind kind, Map<String, String> filters) {
        long at = index();
        return new Listing(list(kind, filters), at);
    }

    /**
     * Completes once this manager has applied everything committed before the call (a linearizable read
     * may follow); fails like apply when there is no quorum.
     */
    /** The Raft ids of the managers (the voting members of the group); a node with such an id is a manager. */
    default Set<String> raftMembers() {
        return Set.of();
    }

    /** Whether this manager leads the Raft group now (leader-only loops check it). */
    default boolean isLeader() {
        return true;
    }

    default CompletionStage<Long> readBarrier() {
        return java.util.concurrent.CompletableFuture.completedFuture(index());
    }

    /** A list and the store index it reflects. */
    record Listing(List<StoredObject> objects, long index) {
    }

    /** A registered watch; close to stop it. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }
}
