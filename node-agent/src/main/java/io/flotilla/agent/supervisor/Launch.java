package io.flotilla.agent.supervisor;

import java.util.List;

/**
 * How this host's manager services were started: the node's id, the address other managers reach it at
 * (no port), whether it founded a new cluster (a Raft group of one) or joined an existing one, and for
 * a joining manager the Raft group's members it is to contact (raft_id@ip:7946; itself added if absent).
 */
public record Launch(String nodeId, String advertiseAddr, boolean bootstrap, List<String> raftMembers) {
    public Launch {
        raftMembers = raftMembers == null ? List.of() : List.copyOf(raftMembers);
    }

    public Launch(String nodeId, String advertiseAddr, boolean bootstrap) {
        this(nodeId, advertiseAddr, bootstrap, List.of());
    }

    /** FLOTILLA_RAFT_MEMBERS: the members given, with this node at its advertised address. */
    public String raftMembersEnv(int raftPort) {
        String self = nodeId + "@" + advertiseAddr + ":" + raftPort;
        StringBuilder b = new StringBuilder();
        for (String m : raftMembers) {
            if (m.startsWith(nodeId + "@")) {
                continue;
            }
            b.append(m).append(',');
        }
        return b.append(self).toString();
    }
}
