package io.flotilla.agent.supervisor;

import io.flotilla.agent.swarm.SwarmState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Promote and demote as the agent follows them: the manager services start and stop with the role. */
class RoleFollowerTest {

    static final String ID = "abcdefghijklmnopqrstuvwxy";

    static class Managers implements ManagerControl {
        final List<String> calls = new ArrayList<>();
        Launch launch;

        @Override
        public void start(Launch l) {
            calls.add("start " + l.raftMembersEnv(7946));
            launch = l;
        }

        @Override
        public void stop() {
            calls.add("stop");
            launch = null;
        }

        @Override
        public void wipeData() {
            calls.add("wipe");
        }

        @Override
        public Optional<Launch> launch() {
            return Optional.ofNullable(launch);
        }
    }

    @Test
    void aManagerHintTakenWhileTheNodeLeavesStartsNothingThatStays(@TempDir Path dir) {
        SwarmState swarm = new SwarmState(dir, ID);
        swarm.update(new SwarmState.Snapshot(ID, true, false, List.of("10.10.10.60:2377")));
        // docker swarm leave marks the node out of the swarm while the hint's start runs
        Managers m = new Managers() {
            @Override
            public void start(Launch l) {
                super.start(l);
                swarm.update(new SwarmState.Snapshot("freshid00000000000000000a", false, false, List.of()));
            }
        };
        RoleFollower f = new RoleFollower(m, swarm, "10.10.10.61");
        f.apply(new RoleFollower.Hint(ID, true, List.of("leader0000000000000000000@10.10.10.60:7946")));
        assertEquals("stop", m.calls.get(m.calls.size() - 1), m.calls.toString());
        assertTrue(m.launch().isEmpty(), "no manager services run on a node out of the swarm");
        assertFalse(swarm.current().member());
        // a hint that comes after the leave is ignored
        m.calls.clear();
        f.apply(new RoleFollower.Hint(ID, true, List.of("leader0000000000000000000@10.10.10.60:7946")));
        assertEquals(List.of(), m.calls);
    }

    @Test
    void aPromotedWorkerStartsItsManagerServicesJoiningTheGroupItWasToldOf(@TempDir Path dir) {
        SwarmState swarm = new SwarmState(dir, ID);
        swarm.update(new SwarmState.Snapshot(ID, true, false, List.of("10.10.10.60:2377")));
        Managers m = new Managers();
        RoleFollower f = new RoleFollower(m, swarm, "10.10.10.61");

        f.apply(new RoleFollower.Hint(ID, false, List.of()));
        assertEquals(List.of(), m.calls, "a worker told worker: nothing");

        f.apply(new RoleFollower.Hint(ID, true, List.of("leader0000000000000000000@10.10.10.60:7946")));
        assertEquals(List.of("wipe", "start leader0000000000000000000@10.10.10.60:7946," + ID + "@10.10.10.61:7946"), m.calls);
        assertTrue(swarm.current().manager());

        f.apply(new RoleFollower.Hint(ID, true, List.of("leader0000000000000000000@10.10.10.60:7946")));
        assertEquals(2, m.calls.size(), "told again: nothing more");
    }

    @Test
    void aDemotedManagerStopsThemAndDropsTheirData(@TempDir Path dir) {
        SwarmState swarm = new SwarmState(dir, ID);
        swarm.update(new SwarmState.Snapshot(ID, true, true, List.of("10.10.10.60:2377")));
        Managers m = new Managers();
        m.launch = new Launch(ID, "10.10.10.61", false);
        RoleFollower f = new RoleFollower(m, swarm, "10.10.10.61");

        f.apply(new RoleFollower.Hint(ID, false, List.of()));
        assertEquals(List.of("stop", "wipe"), m.calls);
        assertFalse(swarm.current().manager());
        assertTrue(swarm.current().member());
    }

    /** A running manager (its services started) and the follower of its role hints, on a clock of the test's. */
    record Running(SwarmState swarm, Managers m, long[] now, RoleFollower f) {
        static Running manager(Path dir) {
            SwarmState swarm = new SwarmState(dir, ID);
            swarm.update(new SwarmState.Snapshot(ID, true, true, List.of("10.10.10.61:2377"))); // knows only itself
            Managers m = new Managers();
            m.launch = new Launch(ID, "10.10.10.61", false);
            long[] now = {1_000};
            return new Running(swarm, m, now, new RoleFollower(m, swarm, "10.10.10.61", () -> now[0]));
        }
    }

    @Test
    void aDemotedManagerKeepsItsServicesUntilTheRaftGroupHasRemovedIt(@TempDir Path dir) {
        Running r = Running.manager(dir);
        SwarmState swarm = r.swarm();
        Managers m = r.m();
        long[] now = r.now();
        RoleFollower f = r.f();
        List<String> withIt = List.of("leader0000000000000000000@10.10.10.60:7946", ID + "@10.10.10.61:7946");

        f.apply(new RoleFollower.Hint(ID, false, withIt));
        now[0] += 5_000;
        f.apply(new RoleFollower.Hint(ID, false, withIt));
        assertEquals(List.of(), m.calls, "still a Raft member: its store is needed for the removal to commit");
        assertTrue(swarm.current().manager());

        f.apply(new RoleFollower.Hint(ID, false, List.of("leader0000000000000000000@10.10.10.60:7946")));
        assertEquals(List.of("stop", "wipe"), m.calls, "removed from the group: a worker");
        assertFalse(swarm.current().manager());
        assertEquals(List.of("10.10.10.60:2377"), swarm.current().managers(), "its session goes to the manager that remains");
    }

    @Test
    void aDemotedManagerTheGroupNeverDropsStopsAfterTheWait(@TempDir Path dir) {
        Running r = Running.manager(dir);
        Managers m = r.m();
        long[] now = r.now();
        RoleFollower f = r.f();
        List<String> withIt = List.of(ID + "@10.10.10.61:7946");

        f.apply(new RoleFollower.Hint(ID, false, withIt));
        now[0] += RoleFollower.REMOVAL_WAIT_MS - 1;
        f.apply(new RoleFollower.Hint(ID, false, withIt));
        assertEquals(List.of(), m.calls);
        // promoted again meanwhile, then demoted: the wait starts over
        f.apply(new RoleFollower.Hint(ID, true, withIt));
        f.apply(new RoleFollower.Hint(ID, false, withIt));
        now[0] += RoleFollower.REMOVAL_WAIT_MS - 1;
        f.apply(new RoleFollower.Hint(ID, false, withIt));
        assertEquals(List.of(), m.calls);
        now[0] += 1;
        f.apply(new RoleFollower.Hint(ID, false, withIt));
        assertEquals(List.of("stop", "wipe"), m.calls);
    }

    @Test
    void theDispatcherAddressesAreTheOtherRaftMembers() {
        assertEquals(List.of("10.10.10.60:2377", "10.10.10.62:2377"), RoleFollower.dispatcherAddresses(new RoleFollower.Hint(ID,
                false, List.of("a@10.10.10.60:7946", ID + "@10.10.10.61:7946", "c@10.10.10.62:7946", "malformed")), ID));
    }

    @Test
    void hintsForAnotherNodeIdOrANonMemberAreIgnored(@TempDir Path dir) {
        SwarmState swarm = new SwarmState(dir, ID);
        Managers m = new Managers();
        RoleFollower f = new RoleFollower(m, swarm, "10.10.10.61");
        f.apply(new RoleFollower.Hint(ID, true, List.of()));
        swarm.update(new SwarmState.Snapshot(ID, true, false, List.of("10.10.10.60:2377")));
        f.apply(new RoleFollower.Hint("zzzzzzzzzzzzzzzzzzzzzzzzz", true, List.of()));
        assertEquals(List.of(), m.calls);
    }
}
