package io.flotilla.contracts;

/** Kafka topic names shared by producers and consumers. */
public final class Topics {
    /** Every committed object change, in commit order. See schemas/state-event.v1.md. */
    public static final String STATE_V1 = "flotilla.state.v1";

    private Topics() {
    }
}
