package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.state.store.CommandPreparer;
import io.flotilla.state.store.StoreStateMachine;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A command proposed here is applied from its object; every other manager (and a replay) parses its log entry. */
class RaftCommandMachineTest {
    private final CommandPreparer preparer = new CommandPreparer();

    private ApplyRequest prepared(String... names) {
        ApplyRequest.Builder b = ApplyRequest.newBuilder();
        for (String n : names) {
            b.addChanges(RaftStateStoreTest.createService(n));
        }
        return preparer.prepare(b.build());
    }

    @Test
    void theProposersOwnEntryAndAnotherManagersCopyGiveTheSameOutcomeAndState() throws Exception {
        StoreStateMachine here = new StoreStateMachine();
        StoreStateMachine there = new StoreStateMachine();
        RaftCommandMachine proposer = new RaftCommandMachine(here);
        RaftCommandMachine follower = new RaftCommandMachine(there);

        RaftCommandMachine.Local web = proposer.local(prepared("web", "db"));
        assertEquals(1, proposer.pending());
        // the log hands the entry on inside a larger buffer, at an offset
        byte[] log = new byte[web.entry.length + 7];
        System.arraycopy(web.entry, 0, log, 5, web.entry.length);

        assertEquals(0, proposer.apply(log, 5, web.entry.length, true).length, "the proposer takes the outcome object");
        ApplyResponse mine = web.response();
        assertNotNull(mine);
        assertEquals(0, proposer.pending());
        ApplyResponse theirs = ApplyResponse.parseFrom(follower.apply(log, 5, web.entry.length, true));

        assertEquals(mine, theirs);
        assertEquals(ChangeResult.RESULT_OK, mine.getOutcomes(1).getResult());
        assertEquals(1, mine.getIndex());
        assertEquals(RaftStateStoreTest.dump(here), RaftStateStoreTest.dump(there));
        assertEquals(2, RaftStateStoreTest.dump(here).size());
    }

    @Test
    void anEntryAppliedAfterItsProposalWasForgottenIsParsedAndAppliedOnce() throws Exception {
        StoreStateMachine sm = new StoreStateMachine();
        RaftCommandMachine machine = new RaftCommandMachine(sm);
        RaftCommandMachine.Local late = machine.local(prepared("late"));
        machine.forget(late); // the write timed out before its entry committed
        assertEquals(0, machine.pending());

        ApplyResponse r = ApplyResponse.parseFrom(machine.apply(late.entry, 0, late.entry.length, true));
        assertEquals(1, r.getIndex());
        assertNull(late.response(), "no outcome object for a forgotten proposal");
        // the same entry committed a second time (a proposal retried in an election) is a second command
        ApplyResponse again = ApplyResponse.parseFrom(machine.apply(late.entry, 0, late.entry.length, true));
        assertEquals(ChangeResult.RESULT_ALREADY_EXISTS, again.getOutcomes(0).getResult());
        assertEquals(1, sm.index());
    }

    @Test
    void untaggedAndTruncatedEntriesStillWork() throws Exception {
        StoreStateMachine sm = new StoreStateMachine();
        RaftCommandMachine machine = new RaftCommandMachine(sm);
        byte[] old = RaftCommandMachine.encode(RaftCommandMachine.APPLY, prepared("old").toByteArray());
        assertEquals(1, ApplyResponse.parseFrom(machine.apply(old, 0, old.length, true)).getIndex());
        byte[] cut = {RaftCommandMachine.APPLY_TAGGED, 1, 2, 3};
        assertEquals(1, ApplyResponse.parseFrom(machine.apply(cut, 0, cut.length, true)).getIndex());
        assertEquals(List.of("old"), RaftStateStoreTest.dump(sm).values().stream()
                .map(o -> o.getService().getSpec().getName()).toList());
    }
}
