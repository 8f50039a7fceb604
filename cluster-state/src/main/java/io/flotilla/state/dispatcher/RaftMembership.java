package io.flotilla.state.dispatcher;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** What membership needs of the Raft group: who is in it, who is reachable, and changes (on the leader). */
public interface RaftMembership {

    /** This manager's own Raft id ("" when unknown). */
    default String self() {
        return "";
    }

    /** The Raft ids of the voting members. */
    List<String> members();

    /** The Raft ids this manager sees in its group view (a started manager appears here before it is added). */
    List<String> reachable();

    /** host:port of a member as this manager was configured with it, or "". */
    String configuredAddress(String raftId);

    boolean isLeader();

    /** Adds a voting member (leader only); completes once committed. */
    CompletionStage<?> add(String raftId);

    /** Removes a voting member (leader only); completes once committed. */
    CompletionStage<?> remove(String raftId);

    /** No Raft group (unit tests of the rest of the dispatcher). */
    RaftMembership NONE = new RaftMembership() {
        @Override
        public List<String> members() {
            return List.of();
        }

        @Override
        public List<String> reachable() {
            return List.of();
        }

        @Override
        public String configuredAddress(String raftId) {
            return "";
        }

        @Override
        public boolean isLeader() {
            return false;
        }

        @Override
        public CompletionStage<?> add(String raftId) {
            return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("no raft group"));
        }

        @Override
        public CompletionStage<?> remove(String raftId) {
            return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("no raft group"));
        }
    };
}
