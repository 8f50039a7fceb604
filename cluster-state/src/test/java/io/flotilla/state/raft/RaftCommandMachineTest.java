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

    /** The proposing manager's state machine and another manager's. */
    private static final class TwoManagers {
        final StoreStateMachine here = new StoreStateMachine();
        final StoreStateMachine there = new StoreStateMachine();
        final RaftCommandMachine proposer = new RaftCommandMachine(here);
        final RaftCommandMachine follower = new RaftCommandMachine(there);
    }

    @Test
    void theProposersOwnEntryAndAnotherManagersCopyGiveTheSameOutcomeAndState() throws Exception {
        TwoManagers two = new TwoManagers();

        RaftCommandMachine.Local web = two.proposer.local(prepared("web", "db"));
        assertEquals(1, two.proposer.pending());
        // the log hands the entry on inside a larger buffer, at an offset
        byte[] log = new byte[web.entry.length + 7];
        System.arraycopy(web.entry, 0, log, 5, web.entry.length);

        assertEquals(0, two.proposer.apply(log, 5, web.entry.length, true).length, "the proposer takes the outcome object");
        ApplyResponse mine = web.response();
        assertNotNull(mine);
        assertEquals(0, two.proposer.pending());
        ApplyResponse theirs = ApplyResponse.parseFrom(two.follower.apply(log, 5, web.entry.length, true));

        assertEquals(mine, theirs);
        assertEquals(ChangeResult.RESULT_OK, mine.getOutcomes(1).getResult());
        assertEquals(1, mine.getIndex());
        assertEquals(RaftStateStoreTest.dump(two.here), RaftStateStoreTest.dump(two.there));
        assertEquals(2, RaftStateStoreTest.dump(two.here).size());
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

    @Test
    void aRawEntryCarriesTheCallersBytesAndEveryManagerPreparesThemAgainIdentically() throws Exception {
        TwoManagers two = new TwoManagers();
        ApplyRequest request = ApplyRequest.newBuilder().addChanges(RaftStateStoreTest.createService("web"))
                .addChanges(RaftStateStoreTest.createTask("web")).addChanges(RaftStateStoreTest.createTask("web")).build();
        CommandPreparer.Prepared prepared = preparer.prepareRecorded(request);
        assertEquals(3, prepared.ids().size(), "three new ids");

        RaftCommandMachine.Local raw = two.proposer.local(prepared, request.toByteArray());
        assertEquals(0, two.proposer.apply(raw.entry, 0, raw.entry.length, true).length);
        ApplyResponse theirs = ApplyResponse.parseFrom(two.follower.apply(raw.entry, 0, raw.entry.length, true));

        assertEquals(raw.response(), theirs);
        assertEquals(prepared.ids(), theirs.getOutcomesList().stream().map(o -> o.getId()).toList());
        assertEquals(RaftStateStoreTest.dump(two.here), RaftStateStoreTest.dump(two.there), "same ids, timestamps and versions");
        assertEquals(prepared.now(), RaftStateStoreTest.dump(two.there).get(prepared.ids().get(0)).getService().getMeta().getCreatedAtMs());

        // cut short anywhere: refused as undecodable, nothing changes
        for (int cut = raw.entry.length - 1; cut > 0; cut -= 7) {
            ApplyResponse r = ApplyResponse.parseFrom(two.follower.apply(raw.entry, 0, cut, true));
            assertEquals(1, r.getIndex());
        }
        assertEquals(1, two.there.index());
    }

    @Test
    void preparingAgainNeedsTheRecordedIds() {
        ApplyRequest request = ApplyRequest.newBuilder().addChanges(RaftStateStoreTest.createService("web")).build();
        CommandPreparer.Prepared prepared = preparer.prepareRecorded(request);
        assertEquals(prepared.command(), CommandPreparer.again(request, prepared.now(), prepared.ids()));
        io.flotilla.state.store.StoreException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.flotilla.state.store.StoreException.class, () -> CommandPreparer.again(request, prepared.now(), List.of()));
        assertEquals(io.flotilla.state.store.StoreException.Reason.INVALID_ARGUMENT, e.reason());
    }
}
