package io.flotilla.state.dispatcher;

/**
 * A debounce on the leading edge: work that comes after a quiet window goes at once (a failure or its
 * replacement is not held back); work that follows within the window waits for the window's end, so a
 * burst is gathered. Not thread-safe: its owner calls it under its own lock.
 */
final class LeadingEdge {
    private final long windowMs;
    private long lastFlushAt = Long.MIN_VALUE / 2;

    LeadingEdge(long windowMs) {
        this.windowMs = windowMs;
    }

    /** How long to wait, at nowMs, before flushing what is pending. */
    long delay(long nowMs) {
        long since = nowMs - lastFlushAt;
        return since >= windowMs ? 0 : windowMs - Math.max(0, since);
    }

    /** A flush started at nowMs. */
    void flushed(long nowMs) {
        lastFlushAt = nowMs;
    }
}
