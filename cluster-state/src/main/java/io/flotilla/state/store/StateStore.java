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

    /** A registered watch; close to stop it. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }
}
