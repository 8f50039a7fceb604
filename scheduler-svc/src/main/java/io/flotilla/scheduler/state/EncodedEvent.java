package io.flotilla.scheduler.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;

/**
 * A state event as read from the wire with its object still encoded (a StoredObject's bytes, null when the event has
 * none; kind and op as their enum numbers): the view
 * decodes it only if it does not hold that version yet ({@link ClusterView#apply(EncodedEvent)}).
 */
public record EncodedEvent(int kind, String id, long version, long index, int op, boolean snapshot, ByteString object) {

    /** The event with its object decoded. */
    public StateEvent decode() {
        try {
            StateEvent.Builder b = StateEvent.newBuilder().setKindValue(kind).setId(id).setVersion(version).setIndex(index)
                    .setOpValue(op).setSnapshot(snapshot);
            return object == null ? b.build() : b.setObject(StoredObject.parseFrom(object)).build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("event " + kind + " " + id + " at " + index + ": " + e.getMessage(), e);
        }
    }
}
