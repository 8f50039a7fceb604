package io.flotilla.gateway.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.StoredObject;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway's view of cluster-state's Store (store.proto): compare-and-set writes and reads.
 * Implementations throw {@link StoreUnavailableException} when the store cannot be reached.
 */
public interface StoreClient {

    ApplyResponse apply(ApplyRequest request);

    Optional<StoredObject> get(Kind kind, String id);

    /** Filters as store.proto names them: "name", "service_id", "node_id", "desired_state". */
    List<StoredObject> list(Kind kind, Map<String, String> filters);

    default List<StoredObject> list(Kind kind) {
        return list(kind, Map.of());
    }

    /** The Raft group as the store reports it: who is a manager, who leads, who is reachable. */
    default MembersResponse members() {
        return MembersResponse.getDefaultInstance();
    }
}
