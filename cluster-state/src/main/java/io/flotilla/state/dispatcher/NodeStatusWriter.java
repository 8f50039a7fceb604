package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.ManagerStatus;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.Reachability;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.state.store.StateStore;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * Writes a node's status (READY at registration or when heartbeats resume, DOWN when they stop) by
 * compare-and-set on the node's version, reading fresh state again after a conflict.
 */
final class NodeStatusWriter {

    static final String HEARTBEAT_FAILURE = "heartbeat failure";

    /** What a DOWN attempt did. */
    enum DownResult { MARKED, ALREADY_DOWN, GONE, MOVED }

    private final StateStore store;
    private final LongSupplier clock;
    private final int maxRetries;

    NodeStatusWriter(StateStore store, LongSupplier clockMs, int maxRetries) {
        this.store = store;
        this.clock = clockMs;
        this.maxRetries = maxRetries;
    }

    /**
     * Creates the node if absent (a worker, active, no name) or updates it: status READY, the address
     * and the description the agent sent, and the manager now holding its session. Completes with the
     * node's version after the write.
     */
    CompletionStage<Long> markReady(String nodeId, NodeDescription description, String addr, String sessionManager) {
        return markReady(nodeId, description, addr, sessionManager, 0);
    }

    /** The READY status a manager writes for a node whose session it holds. */
    static NodeStatus ready(String addr, String sessionManager) {
        return NodeStatus.newBuilder().setState(NodeState.NODE_READY).setAddr(addr).setSessionManager(sessionManager).build();
    }

    private CompletionStage<Long> markReady(String nodeId, NodeDescription description, String addr, String sessionManager,
                                            int attempt) {
        Optional<Node> current = readNode(nodeId);
        long now = clock.getAsLong();
        NodeStatus ready = ready(addr, sessionManager);
        // a node whose id is a Raft member is a manager (swarm init, a manager join, a promotion)
        NodeRole role = store.raftMembers().contains(nodeId) ? NodeRole.ROLE_MANAGER : NodeRole.ROLE_WORKER;
        Change change;
        if (current.isEmpty()) {
            Node.Builder created = Node.newBuilder()
                    .setMeta(Meta.newBuilder().setId(nodeId).setCreatedAtMs(now).setUpdatedAtMs(now))
                    .setSpec(NodeSpec.newBuilder().setName("").setDesiredRole(role)
                            .setAvailability(NodeAvailability.AVAILABILITY_ACTIVE))
                    .setRole(role)
                    .setDescription(description)
                    .setStatus(ready);
            if (role == NodeRole.ROLE_MANAGER) {
                created.setManagerStatus(managerStatus(nodeId, addr));
            }
            change = Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_NODE).setId(nodeId)
                    .setExpectedVersion(0).setObject(StoredObject.newBuilder().setNode(created)).build();
        } else {
            Node n = current.get();
            Node.Builder updated = n.toBuilder()
                    .setMeta(n.getMeta().toBuilder().setUpdatedAtMs(now))
                    .setDescription(description)
                    .setStatus(ready)
                    .setRole(role);
            if (role == NodeRole.ROLE_MANAGER) {
                updated.setManagerStatus(managerStatus(nodeId, addr));
            } else {
                updated.clearManagerStatus();
            }
            change = update(n, updated.build());
        }
        return applyOne(change).thenCompose(outcome -> {
            if (outcome.getResult() == ChangeResult.RESULT_OK) {
                return CompletableFuture.completedFuture(outcome.getCurrentVersion());
            }
            if (retryable(outcome) && attempt + 1 < maxRetries) {
                return markReady(nodeId, description, addr, sessionManager, attempt + 1);
            }
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "cannot register node " + nodeId + ": " + outcome.getResult() + " " + outcome.getMessage()));
        });
    }

    /** A manager's status: reachable, at its node address's managers' port. */
    static ManagerStatus managerStatus(String nodeId, String addr) {
        return ManagerStatus.newBuilder().setRaftId(nodeId).setAddr(io.flotilla.contracts.ManagerAddress.of(addr))
                .setReachability(Reachability.REACHABILITY_REACHABLE).build();
    }

    /**
     * Sets the node DOWN ("heartbeat failure"). Nothing is written (MOVED) when the stored status names a
     * session manager other than {@code sessionManager} (the one whose silence is judged: this manager, or an
     * orphan's gone manager; "" accepts any), or when this manager no longer holds the node's session and the
     * node changed since this manager last wrote it (ownVersion, 0 for none): another manager has most likely
     * taken the session over.
     */
    CompletionStage<DownResult> markDown(String nodeId, long ownVersion, boolean sessionHere, String sessionManager) {
        return markDown(nodeId, ownVersion, sessionHere, sessionManager, 0);
    }

    private CompletionStage<DownResult> markDown(String nodeId, long ownVersion, boolean sessionHere, String sessionManager,
                                                 int attempt) {
        Optional<Node> current = readNode(nodeId);
        if (current.isEmpty()) {
            return CompletableFuture.completedFuture(DownResult.GONE);
        }
        Node n = current.get();
        if (n.getStatus().getState() == NodeState.NODE_DOWN) {
            return CompletableFuture.completedFuture(DownResult.ALREADY_DOWN);
        }
        String holder = n.getStatus().getSessionManager();
        if (!sessionHere && ownVersion != 0 && n.getMeta().getVersion() != ownVersion
                || !sessionManager.isEmpty() && !holder.isEmpty() && !holder.equals(sessionManager)) {
            return CompletableFuture.completedFuture(DownResult.MOVED);
        }
        Node down = n.toBuilder()
                .setMeta(n.getMeta().toBuilder().setUpdatedAtMs(clock.getAsLong()))
                .setStatus(n.getStatus().toBuilder().setState(NodeState.NODE_DOWN).setMessage(HEARTBEAT_FAILURE))
                .build();
        return applyOne(update(n, down)).thenCompose(outcome -> {
            switch (outcome.getResult()) {
                case RESULT_OK:
                    return CompletableFuture.completedFuture(DownResult.MARKED);
                case RESULT_NOT_FOUND:
                    return CompletableFuture.completedFuture(DownResult.GONE);
                default:
                    if (outcome.getResult() == ChangeResult.RESULT_CONFLICT && attempt + 1 < maxRetries) {
                        // fresh state: if it changed under us, the ownership test above applies again
                        return markDown(nodeId, sessionHere ? 0 : ownVersion, sessionHere, sessionManager, attempt + 1);
                    }
                    return CompletableFuture.failedFuture(new IllegalStateException(
                            "cannot mark node " + nodeId + " down: " + outcome.getResult() + " " + outcome.getMessage()));
            }
        });
    }

    private Optional<Node> readNode(String nodeId) {
        return store.get(Kind.KIND_NODE, nodeId).filter(StoredObject::hasNode).map(StoredObject::getNode);
    }

    private static Change update(Node before, Node after) {
        return Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_NODE).setId(before.getMeta().getId())
                .setExpectedVersion(before.getMeta().getVersion())
                .setObject(StoredObject.newBuilder().setNode(after)).build();
    }

    private static boolean retryable(ChangeOutcome o) {
        return o.getResult() == ChangeResult.RESULT_CONFLICT || o.getResult() == ChangeResult.RESULT_ALREADY_EXISTS
                || o.getResult() == ChangeResult.RESULT_NOT_FOUND;
    }

    private CompletionStage<ChangeOutcome> applyOne(Change change) {
        return store.apply(ApplyRequest.newBuilder().addChanges(change).build())
                .thenApply(r -> r.getOutcomesCount() > 0 ? r.getOutcomes(0)
                        : ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_ABORTED).setMessage("no outcome").build());
    }
}
