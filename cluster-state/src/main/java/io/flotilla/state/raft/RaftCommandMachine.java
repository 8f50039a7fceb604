package io.flotilla.state.raft;

import com.google.protobuf.CodedOutputStream;
import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.state.store.CommandPreparer;
import io.flotilla.state.store.StoreStateMachine;
import org.jgroups.raft.StateMachine;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * jgroups-raft's view of the store's state machine: decodes a log entry into a command and applies it;
 * snapshots are the store's own. A log entry is one type byte then the command's protobuf bytes
 * ({@link #APPLY_TAGGED}: the proposer's tag between them; {@link #APPLY_RAW}: the caller's request as it
 * came, unprepared, with what preparing it took).
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
    /**
     * The caller's ApplyRequest bytes as received (not re-encoded) after the tag, the preparation's time (8
     * bytes), and the new ids it gave (a count, then each as a 2-byte length and UTF-8): every manager prepares
     * the request again with them ({@link CommandPreparer#again}), which gives the command the proposer applies.
     */
    static final byte APPLY_RAW = 4;
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

    /**
     * As {@link #local(ApplyRequest)}, the entry carrying the request's bytes as the caller sent them (so the
     * prepared command is not encoded: prepare is deterministic given the recorded time and ids).
     */
    Local local(CommandPreparer.Prepared prepared, byte[] request) {
        long s = sequence.incrementAndGet();
        byte[][] ids = new byte[prepared.ids().size()][];
        int size = 1 + TAG_BYTES + 8 + 4 + request.length;
        for (int i = 0; i < ids.length; i++) {
            ids[i] = prepared.ids().get(i).getBytes(StandardCharsets.UTF_8);
            size += 2 + ids[i].length;
        }
        byte[] b = new byte[size];
        b[0] = APPLY_RAW;
        putLong(b, 1, origin);
        putLong(b, 9, s);
        putLong(b, 17, prepared.now());
        int at = 25;
        putInt(b, at, ids.length);
        at += 4;
        for (byte[] id : ids) {
            b[at++] = (byte) (id.length >>> 8);
            b[at++] = (byte) id.length;
            System.arraycopy(id, 0, b, at, id.length);
            at += id.length;
        }
        System.arraycopy(request, 0, b, at, request.length);
        Local l = new Local(s, prepared.command(), b);
        proposed.put(s, l);
        return l;
    }

    /** The command of an {@link #APPLY_RAW} entry's bytes after the tag: the request prepared again. */
    private static ApplyRequest decodeRaw(byte[] data, int offset, int length) throws Exception {
        int end = offset + length;
        long now = getLong(data, offset);
        int at = offset + 8;
        int count = getInt(data, at);
        at += 4;
        if (count < 0 || count > CommandPreparer.MAX_CHANGES) {
            throw new IllegalArgumentException("bad id count " + count);
        }
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int n = (data[at] & 0xff) << 8 | data[at + 1] & 0xff;
            at += 2;
            if (at + n > end) {
                throw new IllegalArgumentException("truncated entry");
            }
            ids.add(new String(data, at, n, StandardCharsets.UTF_8));
            at += n;
        }
        return CommandPreparer.again(ApplyRequest.parser().parseFrom(data, at, end - at), now, ids);
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
        } else if (data[offset] == APPLY || data[offset] == APPLY_TAGGED || data[offset] == APPLY_RAW) {
            byte type = data[offset];
            int skip = 1;
            if (type != APPLY) {
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
                command = type == APPLY_RAW ? decodeRaw(data, offset + skip, length - skip)
                        : ApplyRequest.parser().parseFrom(data, offset + skip, length - skip);
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

    private static void putInt(byte[] b, int at, int v) {
        for (int i = 3; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    private static int getInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
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
