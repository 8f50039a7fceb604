package io.flotilla.agent;

import java.time.Duration;

/**
 * A bounded wait: whether its time is up, and a pause between two tries that says whether to go on (false
 * when the thread was interrupted, its flag set again). The agent's waits for what it has started (the
 * manager services' identity, cluster-state's health, the gateway's port, the node's registration) share it.
 */
public final class Deadline {
    private final long atNanos;

    private Deadline(long atNanos) {
        this.atNanos = atNanos;
    }

    public static Deadline in(Duration d) {
        return new Deadline(System.nanoTime() + d.toNanos());
    }

    /** At a System.nanoTime() value. */
    public static Deadline atNanos(long nanos) {
        return new Deadline(nanos);
    }

    public boolean passed() {
        return System.nanoTime() > atNanos;
    }

    /** Sleeps {@code millis}; false if interrupted (the interrupt flag is set again). */
    public boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
