package io.flotilla.state.raft;

import io.flotilla.state.store.StoreStateMachine;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.View;
import org.jgroups.protocols.BaseBundler;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.raft.RaftHandle;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * This manager's member of the Raft group: a JGroups channel (TCP, static TCPPING) with jgroups-raft's
 * ELECTION2 (as {@link MemberVotes}), RAFT (file-based log, snapshots; as {@link StoreRaft}) and REDIRECT (writes on a follower go
 * to the leader).
 */
public final class RaftNode implements AutoCloseable {
    public static final String CLUSTER = "flotilla-state";
    /** How long a member that has others to find waits for their discovery answers (GMS join_timeout). */
    static final int JOIN_TIMEOUT_MS = 5000;
    /**
     * The same for a member whose configuration names only itself (a new swarm's first manager, a single manager
     * restarting): it asks nobody, so waiting longer only delays its group (it waited 1 s at every `swarm init`).
     */
    static final int ALONE_JOIN_TIMEOUT_MS = 100;
    /** How long the accepting side of a TLS connection on 7946 gives the handshake and the peer's address. */
    static final int TLS_HANDSHAKE_MS = 5000;

    private final RaftConfig config;
    private final RaftCommandMachine machine;
    private volatile JChannel channel;
    private volatile RaftHandle handle;
    private volatile org.jgroups.util.SocketFactory socketFactory;

    public RaftNode(RaftConfig config, StoreStateMachine stateMachine) {
        this.config = config;
        this.machine = new RaftCommandMachine(stateMachine);
    }

    public RaftConfig config() {
        return config;
    }

    /** The state machine adapter: commands proposed by this process are kept there until applied. */
    RaftCommandMachine commands() {
        return machine;
    }

    /** The sockets of the TCP transport (mutual TLS between managers); before {@link #start}. Default: plain. */
    public RaftNode socketFactory(org.jgroups.util.SocketFactory factory) {
        this.socketFactory = factory;
        return this;
    }

    public synchronized void start() throws Exception {
        Files.createDirectories(config.dataDir());
        channel = new JChannel(new ByteArrayInputStream(stackXml().getBytes(StandardCharsets.UTF_8)));
        channel.name(config.raftId());
        RAFT raft = channel.getProtocolStack().findProtocol(RAFT.class);
        raft.logUseFsync(config.fsync());
        // a sender thread per destination: with one for all, a connect to a member cut off (its SYNs lost)
        // held every message to the others for the connect timeout, and writes on the majority timed out
        if (channel.getProtocolStack().getTransport().getBundler() instanceof BaseBundler bundler) {
            bundler.useSingleSenderThread(false);
        }
        if (socketFactory != null) {
            channel.getProtocolStack().getTransport().setSocketFactory(socketFactory);
        }
        RaftHandle h = new RaftHandle(channel, machine);
        channel.connect(CLUSTER);
        handle = h;
    }

    String stackXml() {
        String hosts = config.members().stream().map(m -> m.host() + "[" + m.port() + "]").collect(Collectors.joining(","));
        String external = config.advertiseAddr().equals(config.bindAddr()) ? ""
                : " external_addr=\"" + attr(config.advertiseAddr()) + "\"";
        // a member with others to find (joining, or restarting) waits longer for their discovery answers: one that
        // found nobody in time forms a group of its own, which only a merge brings back, and on a loaded host a new
        // JVM's first TLS handshakes took over a second (seen on the lab: a promoted manager alone for minutes)
        boolean others = config.members().stream().anyMatch(m -> !m.id().equals(config.raftId()));
        // the accepting side's TLS handshake happens while it reads the peer's address: give it room
        String peerRead = socketFactory != null ? " peer_addr_read_timeout=\"" + TLS_HANDSHAKE_MS + "\"" : "";
        return "<config xmlns=\"urn:org:jgroups\">\n"
                + "  <TCP bind_addr=\"" + attr(config.bindAddr()) + "\" bind_port=\"" + config.port() + "\" port_range=\"0\""
                + external + " tcp_nodelay=\"true\" sock_conn_timeout=\"1000\" diag.enabled=\"false\"" + peerRead
                + " thread_pool.min_threads=\"2\" thread_pool.max_threads=\"32\"/>\n"
                + "  <TCPPING initial_hosts=\"" + attr(hosts) + "\" port_range=\"0\" send_cache_on_join=\"true\"/>\n"
                + "  <MERGE3 min_interval=\"2000\" max_interval=\"5000\"/>\n"
                // FD_SOCK2 on the Raft address: bound to every interface it names itself by the host name,
                // which resolves to a loopback address (127.0.1.1 on Debian, the namespaces' hosts files), and
                // its peers' connect replies went to themselves: no crash detection and a stream of suspicions
                + "  <FD_SOCK2 bind_addr=\"" + attr(config.bindAddr()) + "\"" + external + " connect_timeout=\"2000\"/>\n"
                // a killed member is seen at once (FD_SOCK2: its socket closes), a cut-off one after FD_ALL3's
                // timeout; the timeouts leave room for a loaded host (three JVMs starting on two busy cores
                // stalled heartbeats for 3 s, and 200 ms suspicion checks failed), which excluded live members
                + "  <FD_ALL3 timeout=\"6000\" interval=\"1500\"/>\n"
                + "  <VERIFY_SUSPECT2 timeout=\"500\"/>\n"
                + "  <pbcast.NAKACK2 xmit_interval=\"200\" use_mcast_xmit=\"false\"/>\n"
                + "  <UNICAST3 xmit_interval=\"200\"/>\n"
                + "  <pbcast.STABLE desired_avg_gossip=\"5000\" max_bytes=\"4M\"/>\n"
                + "  <" + RejoinTolerantNoDupes.class.getName() + "/>\n"
                + "  <pbcast.GMS print_local_addr=\"false\" join_timeout=\"" + (others ? JOIN_TIMEOUT_MS : ALONE_JOIN_TIMEOUT_MS)
                + "\" max_join_attempts=\"0\"/>\n"
                + "  <UFC max_credits=\"4M\" min_threshold=\"0.4\"/>\n"
                + "  <MFC max_credits=\"4M\" min_threshold=\"0.4\"/>\n"
                + "  <FRAG4 frag_size=\"60K\"/>\n"
                + "  <" + MemberVotes.class.getName() + " vote_timeout=\"300\"/>\n"
                // RAFT as the store runs it: catch-up under load, commits announced, no leaderless group
                + "  <" + StoreRaft.class.getName() + " members=\"" + attr(String.join(",", config.memberIds()))
                + "\" raft_id=\"" + attr(config.raftId())
                + "\" log_dir=\"" + attr(config.dataDir().toString()) + "\" log_prefix=\"" + attr(config.raftId())
                + "\" max_log_size=\"" + config.maxLogBytes() + "\" resend_interval=\"500\"/>\n"
                + "  <raft.REDIRECT/>\n"
                + "</config>\n";
    }

    private static String attr(String s) {
        return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;");
    }

    /** Proposes a command; on a follower REDIRECT forwards it to the leader. Completes once committed. */
    public CompletableFuture<byte[]> propose(byte[] command) {
        try {
            return handle.setAsync(command, 0, command.length, null);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The channel is connected (before that, writes and reads through Raft fail as unavailable). */
    public boolean started() {
        JChannel c = channel;
        return handle != null && c != null && c.isConnected();
    }

    public boolean isLeader() {
        return handle != null && handle.isLeader();
    }

    /** The leader's Raft id, or null when none is known. */
    public String leaderId() {
        Address a = handle == null ? null : handle.leader();
        return a == null ? null : a.toString();
    }

    public String raftId() {
        return config.raftId();
    }

    public long commitIndex() {
        return handle == null ? 0 : handle.commitIndex();
    }

    /**
     * The last index applied to the state machine: RAFT applies each entry before it moves its commit index
     * (jgroups-raft's own {@code RaftHandle.lastApplied()} is the last <em>appended</em> index).
     */
    public long lastApplied() {
        return commitIndex();
    }

    /** The highest commit index this member knows of: its own as leader, else the leader's last one seen. */
    public long knownCommitIndex() {
        return handle != null && handle.raft() instanceof StoreRaft r ? r.knownCommitIndex() : commitIndex();
    }

    /** The Raft ids of the group's voting members (the log's membership). */
    public List<String> members() {
        return handle == null ? config.memberIds() : new ArrayList<>(handle.raft().members());
    }

    /** The members this one currently sees in its JGroups view. */
    public List<String> reachable() {
        View v = channel == null ? null : channel.getView();
        if (v == null) {
            return List.of();
        }
        return v.getMembers().stream().map(Address::toString).toList();
    }

    public CompletableFuture<byte[]> addMember(String raftId) throws Exception {
        return handle.addServer(raftId);
    }

    public CompletableFuture<byte[]> removeMember(String raftId) throws Exception {
        return handle.removeServer(raftId);
    }

    /** Snapshots this member installed from a leader (it was behind the leader's log). */
    public int snapshotsInstalled() {
        return handle != null && handle.raft() instanceof StoreRaft r ? r.snapshotsInstalled() : 0;
    }

    /** The first index still in this member's log (the entries before it are in its last snapshot). */
    public long firstLogIndex() {
        return handle == null ? 0 : handle.raft().log().firstAppended();
    }

    /** Takes a snapshot now and truncates the log. */
    public void snapshot() throws Exception {
        handle.snapshot();
    }

    public void addRoleListener(RAFT.RoleChange listener) {
        handle.addRoleListener(listener);
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
