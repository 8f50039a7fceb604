package io.flotilla.state.raft;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.raft.ELECTION2;
import org.jgroups.protocols.raft.Log;
import org.jgroups.protocols.raft.LogEntry;
import org.jgroups.protocols.raft.RaftHeader;
import org.jgroups.protocols.raft.election.VoteRequest;

/**
 * jgroups-raft's ELECTION2, except that a member answers a vote request while its own configuration does not list
 * it yet. ELECTION2 drops the request then ("a learner, it does not vote"); but the coordinator asking already
 * counts only the answers of its own configuration's members, and Raft has a server vote whatever its
 * configuration. What that cost: a manager promoted back right after its demotion starts with an empty log and is
 * told its membership by the leader; when the leader's host crashed before that entry reached it (0.3 s after the
 * leader added it, on the lab), the remaining manager, whose configuration held all three, needed its vote, which
 * never came: no leader, for good (MembershipLabIT, 2 of ~13 runs). A member's answer is otherwise as ELECTION2's:
 * not for an older term, once per term, with its last log entry's term and index.
 */
public class MemberVotes extends ELECTION2 {

    public MemberVotes() {
        setId(ClassConfigurator.getProtocolId(ELECTION2.class)); // the headers keep ELECTION2's protocol id
    }

    @Override
    protected void handleMessage(Message msg, RaftHeader hdr) {
        if (hdr instanceof VoteRequest request) {
            vote(msg.src(), request.currTerm());
            return;
        }
        super.handleMessage(msg, hdr);
    }

    private void vote(Address candidate, long term) {
        if (raft.currentTerm(term) < 0) {
            return; // an older term
        }
        Address votedFor = raft.votedFor();
        if (votedFor != null && !votedFor.equals(candidate)) {
            return; // voted for another in this term
        }
        Log log = raft.log();
        if (log == null) {
            return;
        }
        if (!raft.members().contains(raft.raftId())) {
            this.log.debug("%s: not in its own configuration %s yet, votes all the same (term %d, for %s)", local_addr,
                    raft.members(), term, candidate);
        }
        raft.votedFor(candidate);
        long lastIndex = log.lastAppended();
        LogEntry last = log.get(lastIndex);
        sendVoteResponse(candidate, term, last != null ? last.term() : 0, lastIndex);
    }
}
