package io.flotilla.state.raft;

import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.MembershipResponse;
import io.flotilla.contracts.v1.RaftMember;
import io.flotilla.contracts.v1.Reachability;
import io.flotilla.state.store.StoreException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The group's members as the Store API reports them, and membership changes. */
public final class RaftMembers {
    private RaftMembers() {
    }

    public static MembersResponse describe(RaftNode node) {
        String leader = node.leaderId();
        MembersResponse.Builder r = MembersResponse.newBuilder().setSelfId(node.raftId())
                .setLeaderId(leader == null ? "" : leader).setCommitIndex(node.commitIndex());
        r.addAllMembers(members(node));
        return r.build();
    }

    static List<RaftMember> members(RaftNode node) {
        String leader = node.leaderId();
        List<String> reachable = node.reachable();
        return node.members().stream().map(id -> RaftMember.newBuilder().setRaftId(id)
                .setAddr(node.config().members().stream().filter(m -> m.id().equals(id)).findFirst()
                        .map(m -> m.host() + ":" + m.port()).orElse(""))
                .setLeader(id.equals(leader))
                .setReachability(reachable.contains(id) ? Reachability.REACHABILITY_REACHABLE : Reachability.REACHABILITY_UNREACHABLE)
                .build()).toList();
    }

    public static CompletionStage<MembershipResponse> add(RaftNode node, String raftId, String addr) {
        if (raftId.isEmpty()) {
            return CompletableFuture.failedFuture(new StoreException(StoreException.Reason.INVALID_ARGUMENT, "add member needs a raft_id"));
        }
        try {
            return node.addMember(raftId).thenApply(b -> MembershipResponse.newBuilder().addAllMembers(members(node)).build());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(new StoreException(StoreException.Reason.UNAVAILABLE, "add member: " + e.getMessage(), e));
        }
    }

    public static CompletionStage<MembershipResponse> remove(RaftNode node, String raftId) {
        List<String> members = node.members();
        if (!members.contains(raftId)) {
            return CompletableFuture.failedFuture(new StoreException(StoreException.Reason.NOT_FOUND, "no raft member " + raftId));
        }
        if (members.size() == 1) {
            return CompletableFuture.failedFuture(new StoreException(StoreException.Reason.FAILED_PRECONDITION,
                    "refusing to remove the last manager " + raftId));
        }
        try {
            return node.removeMember(raftId).thenApply(b -> MembershipResponse.newBuilder().addAllMembers(members(node)).build());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(new StoreException(StoreException.Reason.UNAVAILABLE, "remove member: " + e.getMessage(), e));
        }
    }
}
