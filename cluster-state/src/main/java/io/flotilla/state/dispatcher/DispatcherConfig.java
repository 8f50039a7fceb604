package io.flotilla.state.dispatcher;

/**
 * The dispatcher's settings (flotilla.dispatcher.*).
 *
 * @param heartbeatPeriodMs how often agents are told to heartbeat
 * @param nodeDownGraceMs   a node whose heartbeats stop for this long is marked DOWN
 * @param debounceMs        changes to assignments arriving within this window go out as one message
 * @param statusBatchMs     status reports arriving within this window are written in one batch
 * @param livenessEnabled   whether this manager marks silent nodes DOWN
 * @param maxRetries        attempts for a compare-and-set write that meets a conflict
 */
public record DispatcherConfig(long heartbeatPeriodMs, long nodeDownGraceMs, long debounceMs,
                               long statusBatchMs, boolean livenessEnabled, int maxRetries) {

    public static DispatcherConfig defaults() {
        return new DispatcherConfig(500, 1500, 15, 5, true, 10);
    }

    /** How often the liveness loop looks for silent nodes: a tenth of the grace, 20 to 100 ms. */
    public long livenessCheckMs() {
        return Math.max(20, Math.min(100, nodeDownGraceMs / 10));
    }
}
