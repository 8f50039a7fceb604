package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.NodeRole;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Which role a join token grants in a cluster: its worker token makes a worker, its manager token a
 * manager, anything else (a wrong token, a rotated one, another cluster's) nothing. Compared in
 * constant time.
 */
public final class JoinTokenCheck {
    /** Swarm's words for a refused token. */
    public static final String INVALID = "A valid join token is necessary to join this cluster";

    private JoinTokenCheck() {
    }

    public static Optional<NodeRole> roleFor(Cluster cluster, String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        if (same(cluster.getManagerToken(), token)) {
            return Optional.of(NodeRole.ROLE_MANAGER);
        }
        if (same(cluster.getWorkerToken(), token)) {
            return Optional.of(NodeRole.ROLE_WORKER);
        }
        return Optional.empty();
    }

    private static boolean same(String expected, String given) {
        return !expected.isEmpty() && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8));
    }
}
