package io.flotilla.state.raft;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How this manager takes part in the Raft group.
 *
 * @param raftId          this member's Raft id (FLOTILLA_RAFT_ID)
 * @param members         the group's voting members, this one included (FLOTILLA_RAFT_MEMBERS)
 * @param bindAddr        the address JGroups listens on (FLOTILLA_RAFT_BIND)
 * @param port            the JGroups TCP port (FLOTILLA_RAFT_PORT, 7946)
 * @param advertiseAddr   the address the other members reach this one at (FLOTILLA_ADVERTISE_ADDR)
 * @param dataDir         where the Raft log and snapshots live (FLOTILLA_DATA/raft)
 * @param fsync           fsync every log append before acknowledging (flotilla.raft.fsync)
 * @param maxLogBytes     log bytes appended after which a snapshot is taken and the log truncated
 *                        (jgroups-raft's max_log_size counts bytes, not entries)
 * @param writeTimeoutMs  a write not committed within this fails ("no quorum")
 * @param forceNewCluster rebuild a one-member group (this member) from the state on disk before
 *                        starting (FLOTILLA_RAFT_FORCE_NEW_CLUSTER, docker swarm init --force-new-cluster)
 */
public record RaftConfig(String raftId, List<Member> members, String bindAddr, int port, String advertiseAddr,
                         Path dataDir, boolean fsync, long maxLogBytes, long writeTimeoutMs, boolean forceNewCluster) {

    public RaftConfig(String raftId, List<Member> members, String bindAddr, int port, String advertiseAddr,
                      Path dataDir, boolean fsync, long maxLogBytes, long writeTimeoutMs) {
        this(raftId, members, bindAddr, port, advertiseAddr, dataDir, fsync, maxLogBytes, writeTimeoutMs, false);
    }

    /** This member alone: the configuration a forced new cluster starts with. */
    public RaftConfig alone() {
        List<Member> self = members.stream().filter(m -> m.id().equals(raftId)).toList();
        return new RaftConfig(raftId, self, bindAddr, port, advertiseAddr, dataDir, fsync, maxLogBytes, writeTimeoutMs,
                forceNewCluster);
    }

    /** One member as written in FLOTILLA_RAFT_MEMBERS: id@host:port. */
    public record Member(String id, String host, int port) {
        @Override
        public String toString() {
            return id + "@" + host + ":" + port;
        }
    }

    /**
     * Parses "id@host:port,id@host:port" (port optional, defaultPort then). Empty: a group of one, this
     * member at its advertised address.
     */
    public static List<Member> parseMembers(String spec, String selfId, String selfHost, int defaultPort) {
        List<Member> out = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            out.add(new Member(selfId, selfHost, defaultPort));
            return out;
        }
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int at = p.indexOf('@');
            if (at <= 0 || at == p.length() - 1) {
                throw new IllegalArgumentException("raft member '" + p + "' is not id@host[:port]");
            }
            String id = p.substring(0, at);
            String hostPort = p.substring(at + 1);
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port = colon < 0 ? defaultPort : Integer.parseInt(hostPort.substring(colon + 1));
            out.add(new Member(id, host, port));
        }
        if (out.stream().noneMatch(m -> m.id().equals(selfId))) {
            throw new IllegalArgumentException("raft members '" + spec + "' do not name this member '" + selfId + "'");
        }
        return out;
    }

    public List<String> memberIds() {
        return members.stream().map(Member::id).toList();
    }
}
