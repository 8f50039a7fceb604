package io.flotilla.state.ca;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.state.store.StateStore;

import java.util.Comparator;
import java.util.Map;
import java.util.Optional;

/**
 * The one Cluster object as every reader takes it: two may exist for a moment (created at once by two
 * components), and the one with the lowest id wins (api-gateway's ClusterService removes the other).
 */
public final class Clusters {
    private Clusters() {
    }

    public static Optional<Cluster> current(StateStore store) {
        return store.list(Kind.KIND_CLUSTER, Map.of()).stream().filter(StoredObject::hasCluster)
                .map(StoredObject::getCluster).min(Comparator.comparing(c -> c.getMeta().getId()));
    }

    /** Whether the node was removed from the swarm (docker node rm puts its id on the cluster's revoked list). */
    public static boolean revoked(StateStore store, String nodeId) {
        return current(store).map(c -> c.getRevokedNodeIdsList().contains(nodeId)).orElse(false);
    }
}
