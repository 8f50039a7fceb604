package io.flotilla.agent.session;

/** Delays between connection attempts: from min, doubling, capped at max; reset after a good session. */
final class Backoff {
    private final long minMs;
    private final long maxMs;
    private long next;

    Backoff(long minMs, long maxMs) {
        this.minMs = Math.max(1, minMs);
        this.maxMs = Math.max(this.minMs, maxMs);
        this.next = this.minMs;
    }

    long next() {
        long d = next;
        next = Math.min(maxMs, next * 2);
        return d;
    }

    void reset() {
        next = minMs;
    }
}
