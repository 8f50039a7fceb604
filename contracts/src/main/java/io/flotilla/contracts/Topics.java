package io.flotilla.contracts;

/** Kafka topic names shared by producers and consumers. */
public final class Topics {
    /** Every committed object change, in commit order. See schemas/state-event.v1.md. */
    public static final String STATE_V1 = "flotilla.state.v1";
    /** The record header carrying the event's store (Raft) index, in decimal. */
    public static final String INDEX_HEADER = "flotilla_index";

    /**
     * Whether a record whose {@link #INDEX_HEADER} value is {@code header} is at or below {@code index} (a
     * consumer that has the state up to that index skips it without decoding it); false when the header is
     * absent or not a number (then the record is judged by its content).
     */
    public static boolean atOrBelow(byte[] header, long index) {
        if (header == null || header.length == 0 || header.length > 19) {
            return false;
        }
        long v = 0;
        for (byte b : header) {
            if (b < '0' || b > '9') {
                return false;
            }
            v = v * 10 + (b - '0');
        }
        return v <= index;
    }

    private Topics() {
    }
}
