package io.flotilla.state.raft;

import com.google.protobuf.CodedOutputStream;
import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.state.store.StoreStateMachine;
import org.jgroups.raft.StateMachine;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * jgroups-raft's view of the store's state machine: decodes a log entry into a command and applies it;
 * snapshots are the store's own. A log entry is one type byte then the command's protobuf bytes
 * ({@link #APPLY_TAGGED}: the proposer's tag between them).
 *
 * <p>Decoded once: a command this process proposed ({@link #local}) is kept as the object until its entry
 * is applied here, and applied from that object (its bytes are only parsed by the other managers, or when
 * the log is replayed); its outcome goes back to the proposer the same way, without encoding.
 */
final class RaftCommandMachine implements StateMachine {
    /** An ApplyRequest already prepared (ids, timestamps) by CommandPreparer. */
    static final byte APPLY = 1;
    /** No change: answers the store index at commit (linearizable reads wait for it). */
    static final byte BARRIER = 2;
    /** As {@link #APPLY}, after 16 bytes naming the proposer (a random number per process) and its command. */
    static final byte APPLY_TAGGED = 3;
    private static final int TAG_BYTES = 16;
    private static final byte[] NO_BYTES = new byte[0];

    private final StoreStateMachine machine;
    private final long origin = new SecureRandom().nextLong();
    private final AtomicLong sequence = new AtomicLong();
    private final ConcurrentHashMap<Long, Local> proposed = new ConcurrentHashMap<>();

    RaftCommandMachine(StoreStateMachine machine) {
        this.machine = machine;
    }

    static byte[] encode(byte type, byte[] payload) {
        byte[] b = new byte[payload.length + 1];
        b[0] = type;
        System.arraycopy(payload, 0, b, 1, payload.length);
        return b;
    }

    /** A command proposed by this process: its log entry, and its outcome once this process applied it. */
    static final class Local {
        final long sequence;
        final ApplyRequest command;
        final byte[] entry;
        volatile ApplyResponse response;

        Local(long sequence, ApplyRequest command, byte[] entry) {
            this.sequence = sequence;
            this.command = command;
            this.entry = entry;
        }

        /** The outcome this process applied, or null (applied elsewhere first, or not yet). */
        ApplyResponse response() {
            return response;
        }
    }

    /** Makes the log entry of a command to propose and remembers the command until it is applied or {@link #forget}. */
    Local local(ApplyRequest command) {
        long s = sequence.incrementAndGet();
        int size = command.getSerializedSize();
        byte[] b = new byte[1 + TAG_BYTES + size];
        b[0] = APPLY_TAGGED;
        putLong(b, 1, origin);
        putLong(b, 9, s);
        CodedOutputStream out = CodedOutputStream.newInstance(b, 1 + TAG_BYTES, size);
        try {
            command.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.checkNoSpaceLeft();
        Local l = new Local(s, command, b);
        proposed.put(s, l);
        return l;
    }

    /** The proposal is over (committed, failed or timed out): a later apply of its entry parses the bytes. */
    void forget(Local l) {
        proposed.remove(l.sequence, l);
    }

    /** Commands proposed here and not yet applied or forgotten. */
    int pending() {
        return proposed.size();
    }

    @Override
    public byte[] apply(byte[] data, int offset, int length, boolean serializeResponse) {
        ApplyResponse response;
        if (length < 1) {
            response = ApplyResponse.newBuilder().setIndex(machine.index()).build();
        } else if (data[offset] == APPLY || data[offset] == APPLY_TAGGED) {
            int skip = 1;
            if (data[offset] == APPLY_TAGGED) {
                if (length < 1 + TAG_BYTES) {
                    return respond(ApplyResponse.newBuilder().setIndex(machine.index()).build(), serializeResponse);
                }
                Local l = getLong(data, offset + 1) == origin ? proposed.remove(getLong(data, offset + 9)) : null;
                if (l != null) {
                    l.response = machine.apply(l.command);
                    // the proposer is this process: it takes the outcome from l
                    return serializeResponse ? NO_BYTES : null;
                }
                skip += TAG_BYTES;
            }
            ApplyRequest command;
            try {
                command = ApplyRequest.parser().parseFrom(data, offset + skip, length - skip);
            } catch (Exception e) {
                command = null;
            }
            response = command == null ? ApplyResponse.newBuilder().setIndex(machine.index()).build() : machine.apply(command);
        } else {
            response = ApplyResponse.newBuilder().setIndex(machine.index()).build();
        }
        return respond(response, serializeResponse);
    }

    private static byte[] respond(ApplyResponse response, boolean serializeResponse) {
        return serializeResponse ? response.toByteArray() : null;
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 7; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    private static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[at + i] & 0xff);
        }
        return v;
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
