package io.flotilla.gateway.docker.mapping;

import io.flotilla.contracts.v1.ManagerStatus;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.RaftMember;
import io.flotilla.contracts.v1.Reachability;

/**
 * A node's manager status is not stored: it is read from the Raft group when a node is shown, as
 * swarmkit's control API does. A node whose id is a Raft member is a manager; the member list says
 * whether it leads and whether the leader reaches it.
 */
public final class ManagerStatuses {

    private ManagerStatuses() {
    }

    public static Node overlay(Node node, MembersResponse members) {
        String id = node.getMeta().getId();
        for (RaftMember m : members.getMembersList()) {
            if (!m.getRaftId().equals(id)) {
                continue;
            }
            String addr = node.getManagerStatus().getAddr();
            if (addr.isEmpty()) {
                addr = managerAddr(node.getStatus().getAddr(), m.getAddr());
            }
            return node.toBuilder()
                    .setRole(NodeRole.ROLE_MANAGER)
                    .setManagerStatus(ManagerStatus.newBuilder()
                            .setLeader(m.getLeader() || id.equals(members.getLeaderId()))
                            .setReachability(m.getReachability() == Reachability.REACHABILITY_UNKNOWN
                                    ? Reachability.REACHABILITY_REACHABLE : m.getReachability())
                            .setAddr(addr)
                            .setRaftId(m.getRaftId()))
                    .build();
        }
        if (!members.getMembersList().isEmpty() && node.getRole() == NodeRole.ROLE_MANAGER) {
            // no longer in the group (demoted, or removed): shown as a worker
            return node.toBuilder().setRole(NodeRole.ROLE_WORKER).clearManagerStatus().build();
        }
        return node;
    }

    /** The cluster-management address (2377) of a manager: its node address, else the Raft host. */
    static String managerAddr(String nodeAddr, String raftAddr) {
        String host = nodeAddr;
        if (host.isEmpty()) {
            int colon = raftAddr.lastIndexOf(':');
            host = colon < 0 ? raftAddr : raftAddr.substring(0, colon);
        }
        return io.flotilla.contracts.ManagerAddress.of(host);
    }
}
