package io.flotilla.scheduler.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.scheduler.state.EncodedEvent;
import io.grpc.MethodDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Store.Watch with its answers read only as far as the loop needs them before it looks at the view: each
 * event's kind, id, version, index, op and snapshot flag; its object stays encoded ({@link EncodedEvent}), and
 * the loop decodes it only when the view does not already hold that version. Most task events a scheduler
 * sees are its own writes coming back (it has put them in the view from the store's answer already): at scale
 * their decoding was a fifth of the scheduler's CPU. The same wire format as flotilla.v1.WatchResponse.
 */
public final class EncodedWatch {
    private EncodedWatch() {
    }

    /** One WatchResponse: the events as read, the index, whether it ends the snapshot. */
    public record Batch(List<EncodedEvent> events, long index, boolean snapshotComplete) {
    }

    /** Store.Watch with this answer type (the request as the generated stub sends it). */
    public static final MethodDescriptor<WatchRequest, Batch> METHOD = StoreGrpc.getWatchMethod().toBuilder(
            StoreGrpc.getWatchMethod().getRequestMarshaller(), new Marshaller()).build();

    static final class Marshaller implements MethodDescriptor.Marshaller<Batch> {
        @Override
        public InputStream stream(Batch value) {
            throw new UnsupportedOperationException("the scheduler only reads watch answers");
        }

        @Override
        public Batch parse(InputStream stream) {
            try {
                CodedInputStream in = CodedInputStream.newInstance(stream);
                in.setSizeLimit(Integer.MAX_VALUE);
                return read(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read a WatchResponse", e);
            }
        }
    }

    /** Reads a WatchResponse (fields 1 events, 2 index, 3 snapshot_complete; unknown ones skipped). */
    public static Batch read(CodedInputStream in) throws IOException {
        List<EncodedEvent> events = new ArrayList<>();
        long index = 0;
        boolean complete = false;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (tag) {
                case 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
                    int limit = in.pushLimit(in.readRawVarint32());
                    events.add(readEvent(in));
                    in.popLimit(limit);
                }
                case 2 << 3 | WireFormat.WIRETYPE_VARINT -> index = in.readUInt64();
                case 3 << 3 | WireFormat.WIRETYPE_VARINT -> complete = in.readBool();
                default -> in.skipField(tag);
            }
        }
        return new Batch(events, index, complete);
    }

    /** A StateEvent: 1 kind, 2 id, 3 version, 4 index, 5 op, 6 object (kept encoded), 7 snapshot. */
    private static EncodedEvent readEvent(CodedInputStream in) throws IOException {
        int kind = 0;
        String id = "";
        long version = 0;
        long index = 0;
        int op = 0;
        ByteString object = null; // absent: a delete may carry none
        boolean snapshot = false;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (tag) {
                case 1 << 3 | WireFormat.WIRETYPE_VARINT -> kind = in.readEnum();
                case 2 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> id = in.readStringRequireUtf8();
                case 3 << 3 | WireFormat.WIRETYPE_VARINT -> version = in.readUInt64();
                case 4 << 3 | WireFormat.WIRETYPE_VARINT -> index = in.readUInt64();
                case 5 << 3 | WireFormat.WIRETYPE_VARINT -> op = in.readEnum();
                case 6 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> object = in.readBytes();
                case 7 << 3 | WireFormat.WIRETYPE_VARINT -> snapshot = in.readBool();
                default -> in.skipField(tag);
            }
        }
        return new EncodedEvent(kind, id, version, index, op, snapshot, object);
    }
}
