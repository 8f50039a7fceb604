package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.gateway.store.StoreClient;
import io.flotilla.gateway.docker.mapping.ManagerStatuses;
import io.flotilla.contracts.v1.MembersResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Nodes: find, list, update the spec (availability, labels, desired role; compare-and-set on the
 * version), remove (refused for a Ready node without force and for a manager, as Swarm does; the
 * removed node's id joins the cluster's revoked list in the same batch).
 */
@ApplicationScoped
public class NodeCommands {
    private final StoreClient store;
    private final ClusterService clusters;

    @Inject
    public NodeCommands(StoreClient store, ClusterService clusters) {
        this.store = store;
        this.clusters = clusters;
    }

    /** Every node, managers with their live Raft status (Leader, Reachable, Unreachable). */
    public List<Node> list() {
        MembersResponse members = store.members();
        return store.list(Kind.KIND_NODE).stream().map(o -> ManagerStatuses.overlay(o.getNode(), members)).toList();
    }

    /** By full id, exact name (spec name, else hostname) or unique id prefix; 404 "node X not found". */
    public Node find(String ref) {
        return Lookup.resolve("node", ref, list(), n -> n.getMeta().getId(), NodeCommands::name);
    }

    public static String name(Node n) {
        return n.getSpec().getName().isEmpty() ? n.getDescription().getHostname() : n.getSpec().getName();
    }

    /**
     * Changes the node's spec as a client that read {@code version} asks. In sequence when no spec change was
     * made since that version: the managers rewrite a node's status, role in force and attachments all the
     * time, and a `docker node promote` between two of those must not fail (see Node.spec_base_version).
     */
    public Node update(String ref, long version, UnaryOperator<NodeSpec> change) {
        for (int attempt = 0; ; attempt++) {
            Node current = find(ref);
            long now = current.getMeta().getVersion();
            if (!inSequence(current, version)) {
                throw ApiException.outOfSequence();
            }
            NodeSpec spec = change.apply(current.getSpec());
            if (current.getSpec().getDesiredRole() == NodeRole.ROLE_MANAGER && spec.getDesiredRole() == NodeRole.ROLE_WORKER) {
                long managers = list().stream().filter(n -> n.getSpec().getDesiredRole() == NodeRole.ROLE_MANAGER).count();
                if (managers <= 1) {
                    throw failedPrecondition("attempting to demote the last manager of the swarm");
                }
            }
            Node updated = current.toBuilder()
                    .setSpec(spec)
                    .setSpecBaseVersion(now)
                    .setMeta(current.getMeta().toBuilder().setUpdatedAtMs(System.currentTimeMillis()))
                    .build();
            try {
                Outcomes.require(store.apply(ApplyRequest.newBuilder()
                        .addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_NODE)
                                .setId(current.getMeta().getId()).setExpectedVersion(now)
                                .setObject(StoredObject.newBuilder().setNode(updated)))
                        .build()), "node " + ref);
                return updated;
            } catch (ApiException e) {
                if (e.status() != 409 || attempt >= 5) {
                    throw e; // a status write in between: read again (the check above still holds the client)
                }
            }
        }
    }

    /** The client's version is the current one, or later than the last spec change (status changes since). */
    static boolean inSequence(Node current, long clientVersion) {
        long now = current.getMeta().getVersion();
        return clientVersion == now || clientVersion > current.getSpecBaseVersion() && clientVersion < now;
    }

    public void remove(String ref, boolean force) {
        Node node = find(ref);
        String id = node.getMeta().getId();
        if (node.getSpec().getDesiredRole() == NodeRole.ROLE_MANAGER || node.getRole() == NodeRole.ROLE_MANAGER) {
            throw failedPrecondition("node " + id + " is a cluster manager and is a member of the raft cluster. "
                    + "It must be demoted to worker before removal");
        }
        if (!force && node.getStatus().getState() == NodeState.NODE_READY) {
            throw failedPrecondition("node " + id + " is not down and can't be removed");
        }
        for (int attempt = 0; ; attempt++) {
            ApplyRequest.Builder batch = ApplyRequest.newBuilder()
                    .addChanges(Change.newBuilder().setOp(Op.OP_DELETE).setKind(Kind.KIND_NODE)
                            .setId(id).setExpectedVersion(node.getMeta().getVersion()));
            Cluster cluster = clusters.current();
            if (!cluster.getRevokedNodeIdsList().contains(id)) {
                batch.addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_CLUSTER)
                        .setId(cluster.getMeta().getId()).setExpectedVersion(cluster.getMeta().getVersion())
                        .setObject(StoredObject.newBuilder().setCluster(cluster.toBuilder().addRevokedNodeIds(id))));
            }
            try {
                Outcomes.require(store.apply(batch.build()), "node " + ref);
                return;
            } catch (ApiException e) {
                // a concurrent change to the cluster object (a token rotation): read it again
                if (e.status() != 409 || attempt >= 3 || find(id).getMeta().getVersion() != node.getMeta().getVersion()) {
                    throw e;
                }
            }
        }
    }

    private static ApiException failedPrecondition(String message) {
        return ApiException.failedPrecondition(message);
    }
}
