package io.flotilla.state.raft;

import io.flotilla.state.store.StoreStateMachine;
import org.jboss.logging.Logger;
import org.jgroups.protocols.raft.FileBasedLog;
import org.jgroups.protocols.raft.InternalCommand;
import org.jgroups.protocols.raft.LogEntry;
import org.jgroups.protocols.raft.PersistentState;
import org.jgroups.util.Bits;
import org.jgroups.util.ByteArrayDataInputStream;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code --force-new-cluster}: turns this member's Raft log into the start of a one-member group.
 *
 * <p>The old log (snapshot and every entry appended after it, committed or not, as etcd does) is replayed
 * offline into the store's state machine; the old log directory is then moved aside (kept, never deleted)
 * and the member starts with an empty log whose membership is itself alone. Once it has elected itself,
 * the caller takes a snapshot, so that the state and the one-member membership are on disk together and
 * every later restart comes back as the same group of one, whatever FLOTILLA_RAFT_MEMBERS still says.
 */
final class ForceNewCluster {
    private static final Logger LOG = Logger.getLogger(ForceNewCluster.class);

    private ForceNewCluster() {
    }

    /** What was recovered from the old log. */
    record Recovered(boolean rewritten, long lastAppended, long commitIndex, List<String> oldMembers, Path movedTo) {
    }

    /** The log's directory as jgroups-raft names it: log_dir/log_prefix.log. */
    static Path logDir(RaftConfig config) {
        return config.dataDir().resolve(config.raftId() + ".log");
    }

    /**
     * Loads the old log's state into {@code machine} and moves the log aside, unless the log's membership
     * already is this member alone (then nothing is changed and the member starts from its log).
     */
    static Recovered prepare(RaftConfig config, StoreStateMachine machine) throws Exception {
        Path dir = logDir(config);
        if (!Files.isDirectory(dir)) {
            LOG.infof("force-new-cluster: no Raft log at %s; starting a new group of one", dir);
            return new Recovered(false, 0, 0, List.of(), null);
        }
        RaftCommandMachine adapter = new RaftCommandMachine(machine);
        FileBasedLog log = new FileBasedLog();
        long last;
        long commit;
        List<String> members;
        try {
            log.init(dir.toString(), new HashMap<>());
            last = log.lastAppended();
            commit = log.commitIndex();
            Set<String> m = new LinkedHashSet<>(config.memberIds());
            int snapshotOffset = 0;
            ByteBuffer sn = log.getSnapshot();
            if (sn != null) {
                ByteArrayDataInputStream in = new ByteArrayDataInputStream(sn);
                PersistentState ps = new PersistentState();
                ps.readFrom(in);
                m = new LinkedHashSet<>(ps.getMembers());
                adapter.readContentFrom(in);
                snapshotOffset = 1;
            }
            for (long i = Math.max(1, log.firstAppended() + snapshotOffset); i <= last; i++) {
                LogEntry e = log.get(i);
                if (e == null || e.command() == null) {
                    continue;
                }
                if (e.internal()) {
                    applyMembership(m, e);
                } else {
                    adapter.apply(e.command(), e.offset(), e.length(), false);
                }
            }
            members = new ArrayList<>(m);
        } finally {
            log.close();
        }
        if (members.equals(List.of(config.raftId()))) {
            LOG.infof("force-new-cluster: the log's membership already is %s alone; starting from it", config.raftId());
            return new Recovered(false, last, commit, members, null);
        }
        Path aside = config.dataDir().resolve(config.raftId() + ".log.before-force-new-cluster-" + System.currentTimeMillis());
        Files.move(dir, aside);
        LOG.warnf("force-new-cluster: state at store index %d recovered from the Raft log (entries up to %d, committed %d, "
                        + "members %s); old log kept at %s; starting a new group of one: %s",
                machine.index(), last, commit, members, aside, config.raftId());
        return new Recovered(true, last, commit, members, aside);
    }

    private static void applyMembership(Set<String> members, LogEntry e) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(e.command(), e.offset(), e.length()));
        InternalCommand.Type type = InternalCommand.Type.values()[in.readByte()];
        String name = Bits.readString(in);
        if (type == InternalCommand.Type.addServer) {
            members.add(name);
        } else if (type == InternalCommand.Type.removeServer) {
            members.remove(name);
        }
    }
}
