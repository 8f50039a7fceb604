package io.flotilla.gateway.docker.mapping;

import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.RaftMember;
import io.flotilla.contracts.v1.Reachability;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManagerStatusesTest {

    private static Node node(String id, NodeRole role) {
        return Node.newBuilder().setMeta(Meta.newBuilder().setId(id)).setRole(role)
                .setStatus(NodeStatus.newBuilder().setAddr("10.10.10.6" + id.charAt(0))).build();
    }

    private static final MembersResponse GROUP = MembersResponse.newBuilder()
            .setLeaderId("0a")
            .addMembers(RaftMember.newBuilder().setRaftId("0a").setAddr("10.10.10.60:7946").setLeader(true)
                    .setReachability(Reachability.REACHABILITY_REACHABLE))
            .addMembers(RaftMember.newBuilder().setRaftId("1b").setAddr("10.10.10.61:7946")
                    .setReachability(Reachability.REACHABILITY_UNREACHABLE))
            .build();

    @Test
    void membersAreManagersWithLiveLeadershipAndReachability() {
        Node leader = ManagerStatuses.overlay(node("0a", NodeRole.ROLE_WORKER), GROUP);
        assertEquals(NodeRole.ROLE_MANAGER, leader.getRole());
        assertTrue(leader.getManagerStatus().getLeader());
        assertEquals("10.10.10.60:2377", leader.getManagerStatus().getAddr());

        Node cut = ManagerStatuses.overlay(node("1b", NodeRole.ROLE_MANAGER), GROUP);
        assertFalse(cut.getManagerStatus().getLeader());
        assertEquals(Reachability.REACHABILITY_UNREACHABLE, cut.getManagerStatus().getReachability());
    }

    @Test
    void aNodeOutsideTheGroupIsAWorkerWithoutManagerStatus() {
        Node demoted = ManagerStatuses.overlay(node("2c", NodeRole.ROLE_MANAGER), GROUP);
        assertEquals(NodeRole.ROLE_WORKER, demoted.getRole());
        assertFalse(demoted.hasManagerStatus());
    }
}
