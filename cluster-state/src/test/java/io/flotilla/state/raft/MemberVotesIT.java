package io.flotilla.state.raft;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A member whose own configuration does not list it yet (a manager promoted again, whose membership entry has not
 * reached it) votes all the same (MemberVotes). m1's configuration is {m1, m2, m3} and m3 never runs: m1 can
 * lead only with m2's vote, and m2's configuration is {m1, m3}. With jgroups-raft's ELECTION2 m2 drops the vote
 * request and the group stays without a leader.
 */
class MemberVotesIT {

    @Test
    void aMemberNotYetInItsOwnConfigurationVotesForALeaderOfTheOthers(@TempDir Path dir) throws Exception {
        try (LocalGroup g = new LocalGroup(dir, 3, 1 << 20)) {
            RaftConfig first = g.config(0);
            RaftConfig full = g.config(1);
            RaftConfig second = new RaftConfig(full.raftId(),
                    full.members().stream().filter(m -> !m.id().equals(full.raftId())).toList(), full.bindAddr(),
                    full.port(), full.advertiseAddr(), full.dataDir(), false, full.maxLogBytes(), full.writeTimeoutMs());
            RaftStateStore m1 = new RaftStateStore(first, 1000);
            RaftStateStore m2 = new RaftStateStore(second, 1000);
            try {
                m1.startAsync().get();
                m2.startAsync().get(); // after m1: m1 is the view's coordinator, which runs the vote
                LocalGroup.awaitLeaderSeen("m1", 30_000, m1, m2);
                assertEquals("m1", m2.node().leaderId());
            } finally {
                m2.close();
                m1.close();
            }
        }
    }
}
