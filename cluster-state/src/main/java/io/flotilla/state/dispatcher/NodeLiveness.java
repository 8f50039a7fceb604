package io.flotilla.state.dispatcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Last-seen time of every node that has a session with this manager, in memory, and which of them
 * have gone silent for longer than the grace period. No I/O: the dispatcher writes the states.
 */
public final class NodeLiveness {

    private enum Mark { ALIVE, DECLARED_DOWN }

    private record Entry(long lastSeenMs, Mark mark) {}

    private final LongSupplier clock;
    private final long graceMs;
    private final Map<String, Entry> nodes = new ConcurrentHashMap<>();
    /** When a sign of life from any node was last taken in. */
    private volatile long lastAnySeenMs = Long.MIN_VALUE / 2;

    public NodeLiveness(LongSupplier clockMs, long graceMs) {
        this.clock = clockMs;
        this.graceMs = graceMs;
    }

    /**
     * A sign of life (registration or heartbeat). Returns true when the node had been declared down,
     * so that the caller sets it READY again.
     */
    public boolean seen(String nodeId) {
        lastAnySeenMs = clock.getAsLong();
        Entry before = nodes.put(nodeId, new Entry(clock.getAsLong(), Mark.ALIVE));
        return before != null && before.mark == Mark.DECLARED_DOWN;
    }

    /**
     * The nodes silent for longer than the grace period and not declared down yet; they are declared
     * down by this call (each is returned once until it is seen again or {@link #retry}d).
     *
     * <p>When two or more nodes are tracked and not one sign of life from any of them was taken in for the
     * grace period, the silence is this manager's (its event loop stalled on a loaded host, a long GC pause:
     * the heartbeats wait unread), not every node's at once: nobody is declared down until a heartbeat gets
     * through again. A single tracked node cannot tell the two apart and goes down by the grace period.
     */
    public List<String> expire() {
        long now = clock.getAsLong();
        if (nodes.size() >= 2 && now - lastAnySeenMs >= graceMs) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Entry> e : nodes.entrySet()) {
            Entry v = e.getValue();
            if (v.mark == Mark.ALIVE && now - v.lastSeenMs >= graceMs
                    && nodes.replace(e.getKey(), v, new Entry(v.lastSeenMs, Mark.DECLARED_DOWN))) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Writing DOWN failed: offer the node again on the next {@link #expire}. */
    public void retry(String nodeId) {
        nodes.computeIfPresent(nodeId, (k, v) -> v.mark == Mark.DECLARED_DOWN ? new Entry(v.lastSeenMs, Mark.ALIVE) : v);
    }

    /** Stop tracking (the node was removed, or its session lives on another manager now). */
    public void forget(String nodeId) {
        nodes.remove(nodeId);
    }

    public boolean tracked(String nodeId) {
        return nodes.containsKey(nodeId);
    }

    public boolean declaredDown(String nodeId) {
        Entry e = nodes.get(nodeId);
        return e != null && e.mark == Mark.DECLARED_DOWN;
    }
}
