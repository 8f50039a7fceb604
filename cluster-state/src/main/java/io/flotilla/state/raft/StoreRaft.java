package io.flotilla.state.raft;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.ObjectMessage;
import org.jgroups.View;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.raft.AppendEntriesRequest;
import org.jgroups.protocols.raft.LogEntries;
import org.jgroups.protocols.raft.LogEntry;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.protocols.raft.election.BaseElection;
import org.jgroups.raft.util.CommitTable;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * jgroups-raft's RAFT (1.1.4) as the store runs it, with what that version lacks for a store under steady
 * writes on a loaded machine:
 *
 * <ul>
 * <li>Catch-up under load. RAFT resends the entries a member misses only when its request queue has stayed
 * empty for {@code resend_interval}; under steady writes that never happens, and a restarted (or
 * reconnected) follower answers every new AppendEntries with "entry not found" for as long as the writes
 * last. Here the leader's processing thread, between two batches of requests, sends such a member the next
 * chunk of its missing entries as soon as the previous chunk was acknowledged, or once
 * {@code resend_interval} has passed. A resend carries at most {@link #MAX_CHUNK_BYTES} of commands (RAFT
 * sends the whole missing range as one message: tens of MB after a long absence, on a 128 MB heap).
 * Snapshots to a member behind the log still go at most once per {@code resend_interval}.</li>
 * <li>Commits announced: followers hear of a new commit index at once ({@link #announceCommit}).</li>
 * <li>No leaderless group: ELECTION2's pre-vote waits for an answer from every member of the view it
 * started in, and a member that is in the view but gone (a joiner whose JOIN timed out on its side, a
 * killed process not yet suspected) never answers; no later view change restarts it while the majority
 * holds. The view coordinator of a majority view that has known no leader for {@link #LEADERLESS_MS}
 * starts the vote itself ({@link #electIfLeaderless}).</li>
 * <li>The majority after a snapshot: RAFT computes it from the configured members before it loads the
 * snapshot, whose membership wins (a group forced down to one member).</li>
 * <li>An orderly stop that does not interrupt a log append or a snapshot half-way.</li>
 * </ul>
 *
 * <p>Everything here runs on RAFT's single processing thread, like the code it extends.
 */
public class StoreRaft extends RAFT {
    /** Most command bytes one AppendEntries resend carries (at least one entry). */
    static final int MAX_CHUNK_BYTES = 512 * 1024;

    /** How long a majority view may go without a leader before its coordinator starts a vote. */
    static final long LEADERLESS_MS = 2000;

    /** Per lagging member: the last index of the chunk sent to it, and 1 if that was the leader's last entry. */
    private final Map<Address, long[]> chunks = new HashMap<>();
    private long lastSweepNanos = System.nanoTime();
    private long announcedCommit;
    private volatile boolean stopping;
    private volatile boolean busy;
    private long leaderlessSinceNanos = -1;

    public StoreRaft() {
        setId(ClassConfigurator.getProtocolId(RAFT.class)); // RAFT's headers keep RAFT's protocol id
    }

    /** Snapshots this member installed from a leader. */
    public int snapshotsInstalled() {
        return num_snapshot_received;
    }

    /** Computes the majority again once the snapshot's membership is loaded (see the class comment). */
    @Override
    public void start() throws Exception {
        stopping = false;
        super.start();
        computeMajority();
    }

    /**
     * Stops after the batch in hand: RAFT's stop interrupts the processing thread, which, in the middle of a
     * log append or a snapshot, closes the log's file channel under it (ClosedByInterruptException) and
     * leaves a half-written temporary snapshot behind the stopped member.
     */
    @Override
    public void stop() {
        stopping = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (busy && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        super.stop();
    }

    @Override
    protected void processQueue() {
        if (stopping) {
            try {
                Thread.sleep(resend_interval); // until RAFT's stop ends the processing thread
            } catch (InterruptedException ignored) {
                // stopped
            }
            return;
        }
        try {
            Request first = processing_queue.poll(resend_interval, TimeUnit.MILLISECONDS);
            if (first == null) {
                busy = true;
                try {
                    resendMissing(true); // idle for resend_interval, where RAFT resends
                    electIfLeaderless();
                } finally {
                    busy = false;
                }
                return;
            }
            List<Request> batch = remove_queue;
            while (true) {
                batch.clear();
                if (first != null) {
                    batch.add(first);
                    first = null;
                }
                processing_queue.drainTo(batch);
                if (batch.isEmpty()) {
                    return;
                }
                busy = true;
                if (stopping) {
                    busy = false;
                    return;
                }
                try {
                    process(batch);
                    announceCommit();
                    resendMissing(false);
                    electIfLeaderless();
                } finally {
                    busy = false;
                }
            }
        } catch (InterruptedException ignored) {
            // the runner is stopping
        }
    }

    /**
     * The view coordinator of a view holding a majority of the members starts a vote once no leader (or a
     * leader outside the view) has been known for {@link #LEADERLESS_MS}.
     */
    private void electIfLeaderless() {
        View v = view;
        Address leader = leader();
        boolean leaderless = v != null && v.size() >= majority() && (leader == null || !v.containsMember(leader));
        if (!leaderless) {
            leaderlessSinceNanos = -1;
            return;
        }
        long now = System.nanoTime();
        if (leaderlessSinceNanos < 0) {
            leaderlessSinceNanos = now;
            return;
        }
        if (now - leaderlessSinceNanos >= TimeUnit.MILLISECONDS.toNanos(LEADERLESS_MS) && local_addr != null
                && local_addr.equals(v.getCoord())) {
            BaseElection election = RAFT.findProtocol(BaseElection.class, this, true);
            if (election != null && !election.isVotingThreadRunning()) {
                log.warn("%s: no leader for %d ms in view %s: starting a vote", local_addr,
                        TimeUnit.NANOSECONDS.toMillis(now - leaderlessSinceNanos), v);
                election.runVotingThread();
            }
            leaderlessSinceNanos = now; // again after another LEADERLESS_MS at the earliest
        }
    }

    /**
     * Once the commit index has moved, tells each follower that holds entries it has not applied yet: a write
     * taken by a follower completes once applied there (read-your-writes), which would otherwise wait for the
     * next append or resend. (RAFT's own send_commits_immediately answers every acknowledgement with commit
     * messages, and a follower missing entries acknowledges each of them: the two ping-pong without end.)
     */
    private void announceCommit() {
        CommitTable table = commit_table;
        long commit = commit_index;
        if (table == null || commit <= announcedCommit || !isLeader()) {
            return;
        }
        announcedCommit = commit;
        table.forEach((member, e) -> {
            if (e.commitIndex() < commit && e.matchIndex() > e.commitIndex()) {
                long term = currentTerm();
                down_prot.down(new ObjectMessage(member, null)
                        .putHeader(id, new AppendEntriesRequest(local_addr, term, 0, 0, term, commit)));
            }
        });
    }

    /**
     * Sends each lagging member its next chunk: a member is lagging from a refusal (a gap or a conflicting
     * term) until it has acknowledged a chunk that reached the leader's last entry of the moment; its next
     * chunk goes once the previous one is acknowledged, or after resend_interval. When idle, the other members get what RAFT sends them (commit index, the
     * last entry).
     */
    private void resendMissing(boolean idle) {
        CommitTable table = commit_table;
        if (table == null || !isLeader()) {
            chunks.clear();
            return;
        }
        long now = System.nanoTime();
        boolean sweep = idle || now - lastSweepNanos >= TimeUnit.MILLISECONDS.toNanos(resend_interval);
        if (sweep) {
            lastSweepNanos = now;
        }
        chunks.keySet().retainAll(table.keys());
        table.forEach((member, e) -> {
            if (e.nextIndex() < log_impl.firstAppended()) {
                chunks.remove(member);
                if (sweep) {
                    sendAppendEntriesMessage(member, e); // the member needs a snapshot, as RAFT sends it
                }
                return;
            }
            long[] sent = chunks.get(member);
            if (sent != null && sent[1] == 1 && e.matchIndex() >= sent[0]) {
                chunks.remove(member); // it has all the leader had when the last chunk went: it keeps up again
                sent = null;
            }
            boolean lagging = e.nextIndex() <= last_appended && (e.sendSingleMessage() || sent != null);
            if (!lagging) {
                chunks.remove(member);
                if (idle) {
                    sendAppendEntriesMessage(member, e);
                }
                return;
            }
            if (sent == null || e.matchIndex() >= sent[0] || sweep) {
                long to = resendChunk(member, e.nextIndex(), last_appended);
                chunks.put(member, new long[] {to, to >= last_appended ? 1 : 0});
            }
        });
    }

    /** RAFT's resend of a range, bounded by {@link #MAX_CHUNK_BYTES}. */
    @Override
    protected void resend(Address target, long from, long to) {
        resendChunk(target, from, to);
    }

    /** Sends [from .. at most to] to target; returns the last index sent (from - 1 when nothing was). */
    private long resendChunk(Address target, long from, long to) {
        long start = Math.max(from, 1);
        LogEntries entries = new LogEntries();
        long bytes = 0;
        long last = start - 1;
        long firstTerm = 0;
        for (long i = start; i <= to && (bytes < MAX_CHUNK_BYTES || last < start); i++) {
            LogEntry entry = log_impl.get(i);
            if (entry == null) {
                log.error("%s: resending %d to %s failed: entry not in the log", local_addr, i, target);
                break;
            }
            if (firstTerm == 0) {
                firstTerm = entry.term();
            }
            entries.add(entry);
            bytes += entry.length();
            last = i;
        }
        if (last < start) {
            return last;
        }
        LogEntry prev = log_impl.get(start - 1);
        Message msg = new ObjectMessage(target, entries).putHeader(id, new AppendEntriesRequest(local_addr, currentTerm(),
                start - 1, prev == null ? 0 : prev.term(), firstTerm, commit_index));
        down_prot.down(msg);
        num_resends++;
        return last;
    }
}
