package io.flotilla.state.raft;

import org.jgroups.Address;
import org.jgroups.EmptyMessage;
import org.jgroups.Message;
import org.jgroups.ObjectMessage;
import org.jgroups.View;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.raft.AppendEntriesRequest;
import org.jgroups.protocols.raft.AppendEntriesResponse;
import org.jgroups.protocols.raft.AppendResult;
import org.jgroups.protocols.raft.InstallSnapshotRequest;
import org.jgroups.protocols.raft.InternalCommand;
import org.jgroups.protocols.raft.Log;
import org.jgroups.protocols.raft.LogEntries;
import org.jgroups.protocols.raft.LogEntry;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.protocols.raft.RaftHeader;
import org.jgroups.protocols.raft.election.BaseElection;
import org.jgroups.raft.util.CommitTable;
import org.jgroups.util.Bits;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.Util;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * A member behind the log gets one snapshot at a time (RAFT sent a new one, a whole-state snapshot,
 * every {@code resend_interval} until the first was acknowledged), and a follower never installs a snapshot
 * older than its commit index (RAFT's did, and wound its state back under acknowledged entries).</li>
 * <li>Commits announced: followers hear of a new commit index at once ({@link #announceCommit}).</li>
 * <li>No leaderless group: ELECTION2's pre-vote waits for an answer from every member of the view it
 * started in, and a member that is in the view but gone (a joiner whose JOIN timed out on its side, a
 * killed process not yet suspected) never answers; no later view change restarts it while the majority
 * holds. The view coordinator of a majority view that has known no leader for {@link #LEADERLESS_MS}
 * starts the vote itself ({@link #electIfLeaderless}).</li>
 * <li>A follower that commits only what it knows to match the leader. RAFT's follower commits up to
 * min(leader commit, its last appended entry) on any AppendEntries, a commit-only one included, and
 * acknowledges its last appended entry even when it appended nothing: a member restarted with a tail of
 * entries from a dead leader's term (appended, never committed) could apply that tail, and be counted for
 * the new leader's entries at those indexes. Here ({@link #appendAsFollower}) it deletes a conflicting
 * entry and everything after it, appends only what it lacks, commits up to the last entry verified against
 * the current leader's log, and acknowledges that index (Raft, section 5.3).</li>
 * <li>The majority after a snapshot: RAFT computes it from the configured members before it loads the
 * snapshot, whose membership wins (a group forced down to one member).</li>
 * <li>Elections on the latest configuration in the log: membership entries appended after the commit index, as
 * they are when no leader is known, count in {@link #members} and {@link #majority} until they are committed (RAFT
 * applies them only then).</li>
 * <li>An orderly stop that does not interrupt a log append or a snapshot half-way.</li>
 * </ul>
 *
 * <p>Everything here runs on RAFT's single processing thread, like the code it extends.
 */
public class StoreRaft extends RAFT {
    /** Most command bytes one AppendEntries resend carries (at least one entry). */
    static final int MAX_CHUNK_BYTES = 512 * 1024;

    /** A snapshot not acknowledged within this is sent again (a whole-state snapshot each time). */
    static final long SNAPSHOT_RESEND_MS = 10_000;

    /** How long a majority view may go without a leader before its coordinator starts a vote. */
    static final long LEADERLESS_MS = 2000;

    /** Per lagging member: the last index of the chunk sent to it, and 1 if that was the leader's last entry. */
    private final Map<Address, long[]> chunks = new HashMap<>();
    /** Per member behind the log: when its snapshot was sent and at which index (one at a time). */
    private final Map<Address, long[]> snapshotsSent = new HashMap<>();
    private long lastSweepNanos = System.nanoTime();
    private long announcedCommit;
    private volatile boolean stopping;
    private volatile boolean busy;
    private long leaderlessSinceNanos = -1;
    /** The configuration in the log when it differs from the committed one, read while no leader was known. */
    private volatile Pending logMembers;
    /** The commit index and last entry when the log was last read for its configuration. */
    private long scannedCommit = -1;
    private long scannedLast = -1;
    /** Most entries after the commit index read for membership entries while leaderless. */
    static final int MAX_CONFIGURATION_SCAN = 10_000;

    public StoreRaft() {
        setId(ClassConfigurator.getProtocolId(RAFT.class)); // RAFT's headers keep RAFT's protocol id
    }

    /** Follower: the last index known to match the log of the leader of {@link #verifiedTerm}. */
    private long verified;
    private long verifiedTerm = -1;
    /** The commit index of the last AppendEntries from a leader (read by readiness on other threads). */
    private volatile long leaderCommit;

    /** Snapshots installed from a leader, counted once each install has ended (read on other threads). */
    private volatile int snapshotsInstalled;

    /**
     * Snapshots this member installed from a leader. The store's objects (and its index) change while an install
     * runs, before the install ends and is counted here: a reader that saw the new objects waits for the count.
     */
    public int snapshotsInstalled() {
        return snapshotsInstalled;
    }

    /** Computes the majority again once the snapshot's membership is loaded (see the class comment). */
    @Override
    public void start() throws Exception {
        stopping = false;
        super.start();
        computeMajority();
    }

    /**
     * The members: when no leader was known, those of the latest configuration in this member's log, committed or
     * not (Raft, section 4.1: a server always uses the latest configuration in its log), until those entries are
     * committed; else RAFT's own, which change when a membership entry is applied (committed). The view
     * coordinator runs the vote and counts only the answers of its members, against their majority: a follower that
     * had appended "add m3" and not yet heard that it was committed when the leader died counted m3's vote out, and
     * the other two (the new member m3, the follower) never elected one of them.
     */
    @Override
    public List<String> members() {
        Pending p = pending();
        return p != null ? new ArrayList<>(p.members) : super.members();
    }

    @Override
    public int majority() {
        Pending p = pending();
        return p != null ? p.members.size() / 2 + 1 : super.majority();
    }

    /** The configuration of membership entries after the commit index, while they are in the log and uncommitted. */
    private Pending pending() {
        Pending p = logMembers;
        return p != null && commit_index < p.lastIndex && p.lastIndex <= last_appended ? p : null;
    }

    /** Members after the uncommitted membership entries up to {@code lastIndex}. */
    record Pending(List<String> members, long lastIndex) {
    }

    /** Entries deleted (a conflict with a new leader's log): a configuration read from them is gone with them. */
    @Override
    protected void deleteAllLogEntriesStartingFrom(long index) {
        super.deleteAllLogEntriesStartingFrom(index);
        Pending p = logMembers;
        if (p != null && p.lastIndex >= index) {
            logMembers = null;
        }
    }

    /**
     * The latest configuration in the log when membership entries follow the commit index (read while no leader is
     * known, and kept until they are committed: the leader elected on it counts the new member's acknowledgements, as
     * Raft's does), else null.
     */
    Pending configurationInLog() {
        Log entries = log_impl;
        if (entries == null || last_appended <= commit_index) {
            return null;
        }
        List<String> m = new ArrayList<>(super.members());
        long changed = -1;
        for (long i = Math.max(commit_index + 1, last_appended - MAX_CONFIGURATION_SCAN); i <= last_appended; i++) {
            LogEntry e = entries.get(i);
            if (e == null || !e.internal()) {
                continue;
            }
            try {
                ByteArrayDataInputStream in = new ByteArrayDataInputStream(e.command(), e.offset(), e.length());
                InternalCommand.Type type = InternalCommand.Type.values()[in.readByte()]; // InternalCommand's wire form
                String name = Bits.readString(in);
                if (type == InternalCommand.Type.addServer && !m.contains(name)) {
                    m.add(name);
                    changed = i;
                } else if (type == InternalCommand.Type.removeServer && m.remove(name)) {
                    changed = i;
                }
            } catch (Exception ex) {
                log.warn("%s: unreadable membership entry %d: %s", local_addr, i, ex);
            }
        }
        return changed < 0 ? null : new Pending(List.copyOf(m), changed);
    }

    /** Each view this member takes in, with the Raft state it meets: an election is read from these lines. */
    @Override
    public void handleView(View v) {
        super.handleView(v);
        log.info("%s: view %s; raft members %s, leader %s, term %d, last appended %d, commit %d", local_addr, v,
                members(), leader(), currentTerm(), last_appended, commit_index);
    }

    @Override
    public RAFT setLeaderAndTerm(Address newLeader, long newTerm) {
        Address before = leader();
        super.setLeaderAndTerm(newLeader, newTerm);
        leaderChanged(before);
        return this;
    }

    @Override
    public int trySetLeaderAndTerm(Address newLeader, long newTerm) {
        Address before = leader();
        int result = super.trySetLeaderAndTerm(newLeader, newTerm);
        leaderChanged(before);
        return result;
    }

    private void leaderChanged(Address before) {
        Address now = leader();
        if (!Objects.equals(before, now)) {
            log.info("%s: leader %s (was %s), term %d; raft members %s", local_addr, now, before, currentTerm(), members());
        }
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

    @Override
    public void handleUpRequest(Message msg, RaftHeader hdr) {
        if (hdr instanceof InstallSnapshotRequest snapshot) {
            installSnapshot(msg, snapshot);
            return;
        }
        if (!(hdr instanceof AppendEntriesRequest request)) {
            super.handleUpRequest(msg, hdr);
            return;
        }
        AppendRequest r = AppendRequest.of(request);
        if (currentTerm(r.term()) < 0) {
            return; // from the leader of an older term
        }
        long term = currentTerm();
        LogEntries entries = msg instanceof ObjectMessage om ? om.getObject() : null;
        AppendResult result = appendAsFollower(entries, r, term).commitIndex(commit_index);
        down_prot.down(new EmptyMessage(msg.src()).putHeader(id, new AppendEntriesResponse(term, result)));
    }

    /**
     * A snapshot from the leader. One at or below this member's commit index is acknowledged, not installed:
     * RAFT installs any snapshot, and one that arrived late (the leader sends another every resend interval
     * until the first is acknowledged) wound this member's state and log back under entries it had
     * acknowledged. After an install, what matches the leader is exactly the snapshot.
     */
    private void installSnapshot(Message msg, InstallSnapshotRequest snapshot) {
        long[] fields = SnapshotRequest.of(snapshot);
        long term = fields[0];
        long lastIncluded = fields[1];
        if (currentTerm(term) < 0) {
            return;
        }
        if (lastIncluded <= commit_index) {
            AppendResult ack = new AppendResult(AppendResult.Result.OK, Math.max(verified, commit_index)).commitIndex(commit_index);
            down_prot.down(new EmptyMessage(msg.src()).putHeader(id, new AppendEntriesResponse(currentTerm(), ack)));
            return;
        }
        super.handleUpRequest(msg, snapshot);
        snapshotsInstalled = num_snapshot_received;
        verifiedTerm = currentTerm();
        verified = commit_index;
    }

    /** An AppendEntries request on a follower (see the class comment). Runs on the processing thread. */
    AppendResult appendAsFollower(LogEntries entries, AppendRequest r, long term) {
        leader(r.leader());
        leaderCommit = r.leaderCommit();
        if (verifiedTerm != term) { // a new leader: of its log, only the committed entries are known to match
            verifiedTerm = term;
            verified = commit_index;
        }
        verified = Math.max(verified, commit_index); // a snapshot installed meanwhile
        long prev = r.prevIndex();
        if (entries == null || entries.size() == 0) { // commit index only, or a probe
            commitLogTo(Math.min(r.leaderCommit(), verified), false);
            return new AppendResult(AppendResult.Result.OK, verified);
        }
        if (prev > commit_index) { // at or below the commit index the logs match (Raft's log matching)
            LogEntry p = log_impl.get(prev);
            if (p == null) {
                // the leader goes on from the last entry known to match (not the last appended, which may be
                // a dead leader's tail: the leader would count it as matched)
                num_failed_append_requests_not_found++;
                return new AppendResult(AppendResult.Result.FAIL_ENTRY_NOT_FOUND, verified);
            }
            if (p.term() != r.prevTerm()) {
                num_failed_append_requests_wrong_term++;
                long conflicting = firstIndexOfTerm(prev, p.term());
                deleteAllLogEntriesStartingFrom(conflicting);
                return new AppendResult(AppendResult.Result.FAIL_CONFLICTING_PREV_TERM, conflicting, p.term());
            }
        }
        LogEntry[] incoming = entries.toArray();
        int k = 0;
        for (long i = prev + 1; k < incoming.length; k++, i++) {
            if (i <= commit_index) {
                continue; // committed here: the same entry
            }
            LogEntry existing = i <= last_appended ? log_impl.get(i) : null;
            if (existing == null) {
                break;
            }
            if (existing.term() != incoming[k].term()) {
                deleteAllLogEntriesStartingFrom(i); // a conflicting entry and all that follow it
                break;
            }
        }
        if (k < incoming.length) {
            LogEntries rest = new LogEntries();
            for (int j = k; j < incoming.length; j++) {
                rest.add(incoming[j]);
            }
            append(prev + 1 + k, rest);
            num_successful_append_requests += rest.size();
        }
        verified = Math.max(verified, prev + incoming.length);
        commitLogTo(Math.min(r.leaderCommit(), verified), false);
        // the highest index known to match, never lower than a previous answer in this term (a resend of
        // older entries must not move the leader's next index below its match index)
        return new AppendResult(AppendResult.Result.OK, verified);
    }

    /** The highest commit index known here: this member's own as leader, else the last one a leader sent. */
    long knownCommitIndex() {
        return isLeader() ? commit_index : Math.max(leaderCommit, commit_index);
    }

    /** The first index, going back from {@code index} but not below the commit index + 1, holding {@code term}. */
    private long firstIndexOfTerm(long index, long term) {
        long first = index;
        for (long i = index - 1; i > commit_index && i >= Math.max(1, log_impl.firstAppended()); i--) {
            LogEntry e = log_impl.get(i);
            if (e == null || e.term() != term) {
                break;
            }
            first = i;
        }
        return first;
    }

    /** The term and last included index of a snapshot request (protected in jgroups-raft): from its wire form. */
    static final class SnapshotRequest {
        private SnapshotRequest() {
        }

        static long[] of(InstallSnapshotRequest h) {
            try {
                ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(64);
                h.writeTo(out);
                ByteArrayDataInputStream in = new ByteArrayDataInputStream(out.buffer(), 0, out.position());
                long term = Bits.readLongCompressed(in);
                Util.readAddress(in); // the leader
                return new long[] {term, Bits.readLongCompressed(in)};
            } catch (Exception e) {
                throw new IllegalStateException("unreadable InstallSnapshot header " + h, e);
            }
        }
    }

    /**
     * The fields of an AppendEntries request (jgroups-raft keeps them protected): read from its wire form.
     */
    record AppendRequest(long term, Address leader, long entryTerm, long prevIndex, long prevTerm, long leaderCommit) {
        static AppendRequest of(AppendEntriesRequest h) {
            try {
                ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(64);
                h.writeTo(out);
                ByteArrayDataInputStream in = new ByteArrayDataInputStream(out.buffer(), 0, out.position());
                long term = Bits.readLongCompressed(in);
                Address leader = Util.readAddress(in);
                return new AppendRequest(term, leader, Bits.readLongCompressed(in), Bits.readLongCompressed(in),
                        Bits.readLongCompressed(in), Bits.readLongCompressed(in));
            } catch (Exception e) {
                throw new IllegalStateException("unreadable AppendEntries header " + h, e);
            }
        }
    }

    /**
     * The view coordinator of a view holding a majority of the members starts a vote once no leader (or a
     * leader outside the view) has been known for {@link #LEADERLESS_MS}.
     */
    private void electIfLeaderless() {
        if (leader() == null) {
            if (scannedCommit != commit_index || scannedLast != last_appended) { // read each range once
                scannedCommit = commit_index;
                scannedLast = last_appended;
                logMembers = configurationInLog();
            }
        } else if (logMembers != null && pending() == null) {
            logMembers = null; // committed (or truncated away)
        }
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
            snapshotsSent.clear();
            return;
        }
        long now = System.nanoTime();
        boolean sweep = idle || now - lastSweepNanos >= TimeUnit.MILLISECONDS.toNanos(resend_interval);
        if (sweep) {
            lastSweepNanos = now;
        }
        chunks.keySet().retainAll(table.keys());
        snapshotsSent.keySet().retainAll(table.keys());
        table.forEach((member, e) -> {
            if (e.nextIndex() < log_impl.firstAppended()) {
                chunks.remove(member);
                long[] sent = snapshotsSent.get(member); // {when, index}
                boolean acknowledged = sent == null || e.matchIndex() >= sent[1];
                if (sweep && (acknowledged || now - sent[0] >= TimeUnit.MILLISECONDS.toNanos(SNAPSHOT_RESEND_MS))) {
                    snapshotsSent.put(member, new long[] {now, commit_index});
                    sendAppendEntriesMessage(member, e); // the member needs a snapshot (at the commit index), as RAFT sends it
                }
                return;
            }
            snapshotsSent.remove(member);
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
