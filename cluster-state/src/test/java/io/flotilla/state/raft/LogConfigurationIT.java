package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyResponse;
import org.jgroups.protocols.raft.FileBasedLog;
import org.jgroups.protocols.raft.InternalCommand;
import org.jgroups.protocols.raft.LogEntries;
import org.jgroups.protocols.raft.LogEntry;
import org.jgroups.util.Util;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An election counts the members of the latest configuration in the log (StoreRaft), not only the committed one.
 * The leader m1 of {m1, m2} added m3 and died once m2 had appended that entry, before m2 heard it was committed:
 * m2's log ends with "add m3" after its commit index, and its committed configuration is {m1, m2}. m2 (the view's
 * coordinator, which runs the vote) and m3 are up. Counting only {m1, m2}, m2 has one vote of the two it needs and
 * the group never has a leader; counting {m1, m2, m3}, m2 and m3 make the majority and m2, with the longer log,
 * leads, then commits the entry: m3 is a member.
 */
class LogConfigurationIT {

    @Test
    void aFollowerWhoseLogEndsWithAnAddLeadsWithTheVoteOfTheAddedMember(@TempDir Path dir) throws Exception {
        try (LocalGroup g = new LocalGroup(dir, 3, 1 << 20)) {
            RaftConfig full = g.config(1);
            RaftConfig before = new RaftConfig(full.raftId(),
                    full.members().stream().filter(m -> !m.id().equals("m3")).toList(), full.bindAddr(), full.port(),
                    full.advertiseAddr(), full.dataDir(), false, full.maxLogBytes(), full.writeTimeoutMs());
            writeLog(g.root.resolve("m2").resolve("m2.log"));
            RaftStateStore m2 = new RaftStateStore(before, 1000);
            RaftStateStore m3 = new RaftStateStore(g.config(2), 1000);
            try {
                m2.startAsync().get();
                m3.startAsync().get(); // after m2: m2 is the view's coordinator, which runs the vote
                LocalGroup.awaitLeaderSeen("m2", 30_000, m2, m3);
                ApplyResponse written = m2.apply(Managers.createTask("after-election")).toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                assertTrue(written.getIndex() > 0);
                long deadline = System.currentTimeMillis() + 10_000;
                while (!m2.node().members().contains("m3") && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(m2.node().members().contains("m3"), "m3 a member once the entry committed: " + m2.node().members());
            } finally {
                m3.close();
                m2.close();
            }
        }
    }

    /** m2's log: three creates (committed) and "add m3", all in term 1, commit index 3. */
    private static void writeLog(Path logDir) throws Exception {
        Files.createDirectories(logDir.getParent());
        FileBasedLog log = new FileBasedLog();
        log.init(logDir.toString(), new HashMap<>());
        try {
            LogEntries entries = new LogEntries();
            for (String id : new String[] {"a1", "a2", "a3"}) {
                entries.add(new LogEntry(1, RaftCommandMachine.encode(RaftCommandMachine.APPLY,
                        Managers.createTask(id).toByteArray())));
            }
            byte[] add = Util.streamableToByteBuffer(new InternalCommand(InternalCommand.Type.addServer, "m3"));
            entries.add(new LogEntry(1, add, 0, add.length, true));
            log.append(1, entries);
            log.commitIndex(3);
            log.currentTerm(1);
        } finally {
            log.close();
        }
    }
}
