package io.flotilla.state.dispatcher;

import io.flotilla.state.raft.RaftNode;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@link RaftMembership} over this manager's {@link RaftNode} (jgroups-raft addServer/removeServer). */
final class RaftGroupMembership implements RaftMembership {
    private final RaftNode node;

    RaftGroupMembership(RaftNode node) {
        this.node = node;
    }

    @Override
    public String self() {
        return node.raftId();
    }

    @Override
    public List<String> members() {
        return node.members();
    }

    @Override
    public List<String> reachable() {
        return node.reachable();
    }

    @Override
    public String configuredAddress(String raftId) {
        return node.config().members().stream().filter(m -> m.id().equals(raftId)).findFirst()
                .map(m -> m.host() + ":" + m.port()).orElse("");
    }

    @Override
    public boolean isLeader() {
        return node.isLeader();
    }

    @Override
    public CompletionStage<?> add(String raftId) {
        try {
            return node.addMember(raftId);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletionStage<?> remove(String raftId) {
        try {
            return node.removeMember(raftId);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
