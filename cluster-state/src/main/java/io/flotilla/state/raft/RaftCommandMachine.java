package io.flotilla.state.raft;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.state.store.StoreStateMachine;
import org.jgroups.raft.StateMachine;

import java.io.DataInput;
import java.io.DataOutput;
import java.util.Arrays;

/**
 * jgroups-raft's view of the store's state machine: decodes a log entry into a command and applies it;
 * snapshots are the store's own. A log entry is one type byte then the command's protobuf bytes.
 */
final class RaftCommandMachine implements StateMachine {
    /** An ApplyRequest already prepared (ids, timestamps) by CommandPreparer. */
    static final byte APPLY = 1;
    /** No change: answers the store index at commit (linearizable reads wait for it). */
    static final byte BARRIER = 2;

    private final StoreStateMachine machine;

    RaftCommandMachine(StoreStateMachine machine) {
        this.machine = machine;
    }

    static byte[] encode(byte type, byte[] payload) {
        byte[] b = new byte[payload.length + 1];
        b[0] = type;
        System.arraycopy(payload, 0, b, 1, payload.length);
        return b;
    }

    @Override
    public byte[] apply(byte[] data, int offset, int length, boolean serializeResponse) {
        ApplyResponse response;
        if (length < 1) {
            response = ApplyResponse.newBuilder().setIndex(machine.index()).build();
        } else if (data[offset] == APPLY) {
            ApplyRequest command;
            try {
                command = ApplyRequest.parseFrom(Arrays.copyOfRange(data, offset + 1, offset + length));
            } catch (Exception e) {
                command = null;
            }
            response = command == null ? ApplyResponse.newBuilder().setIndex(machine.index()).build() : machine.apply(command);
        } else {
            response = ApplyResponse.newBuilder().setIndex(machine.index()).build();
        }
        return serializeResponse ? response.toByteArray() : null;
    }

    @Override
    public void readContentFrom(DataInput in) throws Exception {
        machine.readSnapshot(in);
    }

    @Override
    public void writeContentTo(DataOutput out) throws Exception {
        machine.writeSnapshot(out);
    }
}
