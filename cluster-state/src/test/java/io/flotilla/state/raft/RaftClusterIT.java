package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.GetRequest;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.state.kafka.KafkaForTests;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three managers as separate JVMs on loopback: kill -9 of the leader under load loses no acknowledged
 * write (and the events on Kafka stay in index order without a gap), bad input changes nothing, the whole
 * group restarted from disk has the same state, and a survivor forced into a new one-member group keeps it.
 * The methods run in order on one group.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftClusterIT {
    private Managers cluster;
    private KafkaForTests kafka;
    private String topic;

    @BeforeAll
    void start() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("flotilla.slow"),
                "three manager JVMs (about a minute): run with -Dflotilla.slow=true");
        cluster = Managers.onLoopback("cluster", 3);
        kafka = KafkaForTests.start();
        topic = "flotilla.state.v1.it-" + System.currentTimeMillis();
        kafka.createTopic(topic);
        cluster.env("FLOTILLA_KAFKA_ENABLED", "true").env("FLOTILLA_KAFKA", kafka.bootstrap())
                .jvmArg("-Dflotilla.kafka.topic=" + topic);
        cluster.startAll();
        cluster.awaitLeader(cluster.managers, 60_000);
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    @Order(1)
    void killingTheLeaderUnderLoadLosesNoAcknowledgedWrite() throws Exception {
        Managers.Manager leader = cluster.awaitLeader(cluster.managers, 30_000);
        KafkaForTests.awaitLog(leader.logFile, "leader: publishing state events", 20_000);
        List<Double> failovers = new ArrayList<>();
        WriteLoad load = new WriteLoad(cluster, 4, "kill", 1000);
        try {
            for (int round = 0; round < 3; round++) {
                Thread.sleep(1500);
                leader = cluster.awaitLeader(cluster.managers, 30_000);
                int before = load.acked.size();
                assertTrue(before > 0 || round > 0, "writes are acknowledged before the kill");
                load.mark(leader.kill9()); // from the signal: spawning kill takes ms in which the leader still commits
                double ms = load.awaitFirstAckMs(20_000);
                assertTrue(ms >= 0, "writes are accepted again after " + leader.id + " was killed");
                failovers.add(ms);
                System.out.printf("[raft-it] round %d: leader %s killed; first write accepted after %.0f ms%n", round, leader.id, ms);
                leader.start();
                cluster.awaitLeader(cluster.managers, 60_000);
                cluster.awaitCaughtUp(leader, 60_000);
            }
            Thread.sleep(500);
        } finally {
            load.close();
        }
        System.out.printf("[raft-it] leader kill -> first accepted write: %s ms, median %.0f ms%n", failovers,
                Managers.median(failovers));
        Map<String, Long> state = cluster.awaitConverged(cluster.managers, 60_000);
        int checked = 0;
        for (Managers.Manager m : cluster.managers) {
            Map<String, Long> d = m.dump();
            assertEquals(state, d, "every manager has the same objects and versions");
        }
        for (Map.Entry<String, Long> e : load.acked.entrySet()) {
            assertEquals(e.getValue(), state.get("KIND_TASK/" + e.getKey()), "acknowledged write " + e.getKey() + " is present with its version");
            checked++;
        }
        assertTrue(checked > 50, "enough writes were acknowledged to mean something: " + checked);
    }

    @Test
    @Order(2)
    void kafkaEventsAcrossLeaderKillsAreInIndexOrderWithoutGap() throws Exception {
        Managers.Manager leader = cluster.awaitLeader(cluster.managers, 30_000);
        long index = leader.stub(5000).list(io.flotilla.contracts.v1.ListRequest.newBuilder().setKind(Kind.KIND_TASK)
                .setLinearizable(true).build()).getIndex();
        KafkaForTests.Seen seen = kafka.readUntilIndex(topic, index, 30_000);
        System.out.printf("[raft-it] kafka: %d records, %d distinct events, %d duplicates, last index %d (store %d)%n",
                seen.records(), seen.distinct(), seen.duplicates(), seen.lastIndex(), index);
        assertEquals(index, seen.lastIndex(), "the topic reaches the store's index");
        assertEquals(1, seen.firstIndex(), "the topic starts at the first change");
    }

    @Test
    @Order(3)
    void badInputChangesNothing() {
        Managers.Manager leader = cluster.get(0);
        Managers.Manager follower = cluster.managers.stream().filter(m -> !m.id.equals(leaderId())).findFirst().orElseThrow();
        ApplyResponse created = follower.stub(5000).apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder()
                .setOp(Op.OP_CREATE).setKind(Kind.KIND_NETWORK).setObject(StoredObject.newBuilder()
                        .setNetwork(Network.newBuilder().setName("bad-input-net")))).build());
        assertTrue(Managers.ok(created));
        String netId = created.getOutcomes(0).getId();
        long version = created.getIndex();
        long indexBefore = follower.stub(5000).list(io.flotilla.contracts.v1.ListRequest.newBuilder().setKind(Kind.KIND_NETWORK)
                .setLinearizable(true).build()).getIndex();

        // a batch with a stale version: nothing of it is applied, the stale change names the current version
        StoredObject renamed = StoredObject.newBuilder().setNetwork(Network.newBuilder()
                .setMeta(io.flotilla.contracts.v1.Meta.newBuilder().setId(netId)).setName("renamed")).build();
        ApplyResponse stale = follower.stub(5000).apply(ApplyRequest.newBuilder()
                .addChanges(Managers.createTask("stale-batch-task").getChanges(0))
                .addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_NETWORK).setId(netId)
                        .setExpectedVersion(version - 1).setObject(renamed)).build());
        assertFalse(stale.getApplied());
        assertEquals(ChangeResult.RESULT_ABORTED, stale.getOutcomes(0).getResult());
        assertEquals(ChangeResult.RESULT_CONFLICT, stale.getOutcomes(1).getResult());
        assertEquals(version, stale.getOutcomes(1).getCurrentVersion(), "the error names the current version");
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> follower.stub(5000)
                .get(GetRequest.newBuilder().setKind(Kind.KIND_TASK).setId("stale-batch-task").setLinearizable(true).build()));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
        assertEquals("bad-input-net", leader.stub(5000).get(GetRequest.newBuilder().setKind(Kind.KIND_NETWORK).setId(netId)
                .setLinearizable(true).build()).getObject().getNetwork().getName());

        // unknown kind, and an object of another kind than the change says: refused before proposal
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> follower.stub(5000).apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKindValue(42)
                        .setObject(StoredObject.newBuilder().setTask(Task.getDefaultInstance()))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, unknown.getStatus().getCode());
        assertTrue(unknown.getStatus().getDescription().contains("unknown object kind"), unknown.getStatus().getDescription());
        StatusRuntimeException mismatch = assertThrows(StatusRuntimeException.class, () -> follower.stub(5000).apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_SERVICE)
                        .setObject(StoredObject.newBuilder().setTask(Task.getDefaultInstance()))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, mismatch.getStatus().getCode());
        StatusRuntimeException badId = assertThrows(StatusRuntimeException.class, () -> follower.stub(5000).apply(Managers.createTask("Not A Valid Id!")));
        assertEquals(Status.Code.INVALID_ARGUMENT, badId.getStatus().getCode());
        long indexAfter = follower.stub(5000).list(io.flotilla.contracts.v1.ListRequest.newBuilder().setKind(Kind.KIND_NETWORK)
                .setLinearizable(true).build()).getIndex();
        assertEquals(indexBefore, indexAfter, "refused batches consume no index");
    }

    private String leaderId() {
        return cluster.get(0).members().getLeaderId();
    }

    @Test
    @Order(4)
    void theWholeGroupRestartedFromDiskHasTheSameState() throws Exception {
        Map<String, StoredObject> before = cluster.awaitLeader(cluster.managers, 30_000).objects();
        assertTrue(before.size() > 50);
        for (Managers.Manager m : cluster.managers) {
            m.kill9();
        }
        long t0 = System.nanoTime();
        cluster.startAll();
        cluster.awaitLeader(cluster.managers, 60_000);
        System.out.printf("[raft-it] whole group (%d objects) restarted: leader and a linearizable read after %.1f s%n",
                before.size(), (System.nanoTime() - t0) / 1e9);
        for (Managers.Manager m : cluster.managers) {
            assertEquals(before, m.objects(), "state of " + m.id + " after the restart");
        }
    }

    @Test
    @Order(5)
    void aSurvivorForcedIntoANewClusterKeepsTheState() throws Exception {
        Map<String, StoredObject> before = cluster.awaitLeader(cluster.managers, 30_000).objects();
        for (Managers.Manager m : cluster.managers) {
            m.kill9();
        }
        Managers.Manager survivor = cluster.get(1);
        survivor.env.put("FLOTILLA_RAFT_FORCE_NEW_CLUSTER", "true");
        survivor.start();
        cluster.awaitLeader(List.of(survivor), 60_000);
        MembersResponse members = survivor.members();
        assertEquals(List.of(survivor.id), members.getMembersList().stream().map(m -> m.getRaftId()).toList());
        assertEquals(survivor.id, members.getLeaderId());
        assertEquals(before, survivor.objects(), "the forced group keeps every object");
        assertTrue(Managers.ok(survivor.stub(5000).apply(Managers.createTask("after-force"))));

        // restarted without the flag (FLOTILLA_RAFT_MEMBERS still names three): still a group of one
        survivor.kill9();
        survivor.env.remove("FLOTILLA_RAFT_FORCE_NEW_CLUSTER");
        survivor.start();
        cluster.awaitLeader(List.of(survivor), 60_000);
        assertEquals(List.of(survivor.id), survivor.members().getMembersList().stream().map(m -> m.getRaftId()).toList());
        Map<String, StoredObject> after = survivor.objects();
        assertTrue(after.containsKey("KIND_TASK/after-force"));
        after.remove("KIND_TASK/after-force");
        assertEquals(before, after);
    }
}
