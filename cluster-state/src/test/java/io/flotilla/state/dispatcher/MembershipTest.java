package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ManagerStatus;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.StoredObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Join tokens and the leader's role decisions (certificates: {@code ca.NodeCertificatesTest}). */
class MembershipTest {

    static final String WORKER = "SWMTKN-1-" + "1".repeat(50) + "-" + "w".repeat(25);
    static final String MANAGER = "SWMTKN-1-" + "1".repeat(50) + "-" + "m".repeat(25);
    static final Cluster CLUSTER = Cluster.newBuilder().setWorkerToken(WORKER).setManagerToken(MANAGER).build();

    @Test
    void theWorkerTokenMakesAWorkerAndTheManagerTokenAManager() {
        assertEquals(Optional.of(NodeRole.ROLE_WORKER), JoinTokenCheck.roleFor(CLUSTER, WORKER));
        assertEquals(Optional.of(NodeRole.ROLE_MANAGER), JoinTokenCheck.roleFor(CLUSTER, MANAGER));
    }

    @Test
    void aWrongEmptyOrRotatedTokenGrantsNothing() {
        assertEquals(Optional.empty(), JoinTokenCheck.roleFor(CLUSTER, "SWMTKN-1-" + "1".repeat(50) + "-" + "x".repeat(25)));
        assertEquals(Optional.empty(), JoinTokenCheck.roleFor(CLUSTER, ""));
        Cluster rotated = CLUSTER.toBuilder().setWorkerToken("SWMTKN-1-" + "1".repeat(50) + "-" + "n".repeat(25)).build();
        assertEquals(Optional.empty(), JoinTokenCheck.roleFor(rotated, WORKER));
        // a cluster without tokens yet accepts nothing
        assertEquals(Optional.empty(), JoinTokenCheck.roleFor(Cluster.getDefaultInstance(), ""));
    }

    // ---------------------------------------------------------------- role decisions

    static Node node(String id, NodeRole desired, NodeRole inForce) {
        Node.Builder b = Node.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(3))
                .setSpec(NodeSpec.newBuilder().setDesiredRole(desired)).setRole(inForce)
                .setStatus(NodeStatus.newBuilder().setAddr("10.10.10.6" + id.charAt(0)));
        if (inForce == NodeRole.ROLE_MANAGER) {
            b.setManagerStatus(ManagerStatus.newBuilder().setRaftId(id));
        }
        return b.build();
    }

    @Test
    void aPromotedNodeIsAddedOnlyOnceItsStoreIsInTheGroupView() {
        List<Node> nodes = List.of(node("0", NodeRole.ROLE_MANAGER, NodeRole.ROLE_MANAGER),
                node("1", NodeRole.ROLE_MANAGER, NodeRole.ROLE_WORKER));
        assertNull(Membership.decide(nodes, List.of("0"), List.of("0")).change(), "not started yet: wait");
        Membership.Decision d = Membership.decide(nodes, List.of("0"), List.of("0", "1"));
        assertEquals("1", d.change());
        assertTrue(d.add());
    }

    @Test
    void aDemotedNodeIsRemovedAndTheLastMemberNever() {
        List<Node> nodes = List.of(node("0", NodeRole.ROLE_MANAGER, NodeRole.ROLE_MANAGER),
                node("1", NodeRole.ROLE_WORKER, NodeRole.ROLE_MANAGER));
        Membership.Decision d = Membership.decide(nodes, List.of("0", "1"), List.of("0", "1"));
        assertEquals("1", d.change());
        assertEquals(false, d.add());
        List<Node> alone = List.of(node("0", NodeRole.ROLE_WORKER, NodeRole.ROLE_MANAGER));
        assertNull(Membership.decide(alone, List.of("0"), List.of("0")).change());
    }

    @Test
    void theRoleInForceFollowsRaftMembership() {
        Node promoted = node("1", NodeRole.ROLE_MANAGER, NodeRole.ROLE_WORKER);
        Node settled = node("0", NodeRole.ROLE_MANAGER, NodeRole.ROLE_MANAGER);
        Membership.Decision d = Membership.decide(List.of(settled, promoted), List.of("0", "1"), List.of("0", "1"));
        assertEquals(List.of(promoted), d.roleUpdates());
        Node now = Membership.inForce(promoted, List.of("0", "1"), 5);
        assertEquals(NodeRole.ROLE_MANAGER, now.getRole());
        assertEquals("10.10.10.61:2377", now.getManagerStatus().getAddr());
        Node demoted = Membership.inForce(settled, List.of("1"), 5);
        assertEquals(NodeRole.ROLE_WORKER, demoted.getRole());
        assertTrue(!demoted.hasManagerStatus());
    }

    // ---------------------------------------------------------------- the leader's steps against a store

    /** A Raft group this manager leads: members change at once when asked. */
    static final class FakeRaft implements RaftMembership {
        final List<String> members = new CopyOnWriteArrayList<>(List.of("m0"));
        final List<String> reachable = new CopyOnWriteArrayList<>(List.of("m0"));
        volatile boolean leader = true;

        @Override
        public String self() {
            return "m0";
        }

        @Override
        public List<String> members() {
            return List.copyOf(members);
        }

        @Override
        public List<String> reachable() {
            return List.copyOf(reachable);
        }

        @Override
        public String configuredAddress(String raftId) {
            return "";
        }

        @Override
        public boolean isLeader() {
            return leader;
        }

        @Override
        public CompletionStage<?> add(String raftId) {
            members.add(raftId);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<?> remove(String raftId) {
            members.remove(raftId);
            return CompletableFuture.completedFuture(null);
        }
    }

    static StoredObject stored(Node n) {
        return StoredObject.newBuilder().setNode(n).build();
    }

    @Test
    void aWorkerPromotedAmongManyIsAddedAndItsRoleFollowsThenADemotionRemovesIt() {
        FakeStateStore store = new FakeStateStore();
        FakeRaft raft = new FakeRaft();
        long[] now = {1_000};
        Membership m = new Membership(store, raft, () -> now[0]);
        store.put(Kind.KIND_NODE, "m0", stored(node("m0", NodeRole.ROLE_MANAGER, NodeRole.ROLE_MANAGER)));
        List<String> workers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            workers.add("w" + i);
            store.put(Kind.KIND_NODE, "w" + i, stored(node("w" + i, NodeRole.ROLE_WORKER, NodeRole.ROLE_WORKER)));
        }
        m.reconcile();
        m.reconcile();
        assertEquals(List.of("m0"), raft.members());
        // docker node promote w7 after the watch of the nodes is in place; its store joins the group view
        Node w7 = store.node("w7").orElseThrow();
        store.put(Kind.KIND_NODE, "w7", stored(w7.toBuilder().setSpec(w7.getSpec().toBuilder()
                .setDesiredRole(NodeRole.ROLE_MANAGER)).build()));
        raft.reachable.add("w7");
        m.reconcile();
        assertEquals(List.of("m0"), raft.members(), "not in the view for long enough yet");
        now[0] += Membership.STABLE_IN_VIEW_MS;
        m.reconcile();
        assertEquals(List.of("m0", "w7"), raft.members());
        m.reconcile();
        assertEquals(NodeRole.ROLE_MANAGER, store.node("w7").orElseThrow().getRole());
        assertEquals("w7", store.node("w7").orElseThrow().getManagerStatus().getRaftId());
        for (String w : workers) {
            if (!w.equals("w7")) {
                assertEquals(NodeRole.ROLE_WORKER, store.node(w).orElseThrow().getRole(), w);
            }
        }
        // docker node demote w7
        Node promoted = store.node("w7").orElseThrow();
        store.put(Kind.KIND_NODE, "w7", stored(promoted.toBuilder().setSpec(promoted.getSpec().toBuilder()
                .setDesiredRole(NodeRole.ROLE_WORKER)).build()));
        m.reconcile();
        assertEquals(List.of("m0"), raft.members());
        m.reconcile();
        Node demoted = store.node("w7").orElseThrow();
        assertEquals(NodeRole.ROLE_WORKER, demoted.getRole());
        assertTrue(!demoted.hasManagerStatus());
        m.close();
    }

    @Test
    void aNodeWhoseRoleInForceIsStaleIsCorrectedThoughNoLongerAMember() {
        FakeStateStore store = new FakeStateStore();
        FakeRaft raft = new FakeRaft();
        Membership m = new Membership(store, raft, () -> 1_000);
        store.put(Kind.KIND_NODE, "m0", stored(node("m0", NodeRole.ROLE_MANAGER, NodeRole.ROLE_MANAGER)));
        m.reconcile();
        // a node written as a manager (a restore, a lost write) that is not in the group and wants to be a worker
        store.put(Kind.KIND_NODE, "x", stored(node("x", NodeRole.ROLE_WORKER, NodeRole.ROLE_MANAGER)));
        m.reconcile();
        Node x = store.node("x").orElseThrow();
        assertEquals(NodeRole.ROLE_WORKER, x.getRole());
        assertTrue(!x.hasManagerStatus());
        assertEquals(List.of("m0"), raft.members());
        m.close();
    }
}
