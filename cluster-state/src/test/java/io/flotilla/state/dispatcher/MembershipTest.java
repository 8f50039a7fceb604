package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.ManagerStatus;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

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
}
