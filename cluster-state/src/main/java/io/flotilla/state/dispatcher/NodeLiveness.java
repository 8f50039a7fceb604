package io.flotilla.state.dispatcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Last-seen time of every node that has a session with this manager, or that this manager adopted (an
 * orphan: a node whose session manager went away, see {@link #adopt}), in memory, and which of them have
 * gone silent for longer than the grace period. No I/O: the dispatcher writes the states.
 */
public final class NodeLiveness {

    private enum Mark { ALIVE, PROBING, DECLARED_DOWN }

    /**
     * recheckAtMs: a silent node whose host answered a probe is not offered again before this time; adopted: an
     * orphan, tracked since its adoption rather than since a sign of life.
     */
    private record Entry(long lastSeenMs, Mark mark, long recheckAtMs, boolean adopted) {
        Entry with(Mark m, long recheckAt) {
            return new Entry(lastSeenMs, m, recheckAt, adopted);
        }
    }

    /**
     * What {@link #expire} found: nodes now declared down, and silent nodes whose host is to be probed first
     * (each then reported with {@link #probed}).
     */
    public record Expiry(List<String> down, List<String> suspects) {}

    private final LongSupplier clock;
    private final long graceMs;
    private final long hostAnswersLimitMs;
    private final long recheckMs;
    private final Map<String, Entry> nodes = new ConcurrentHashMap<>();
    /** When a sign of life from any node was last taken in. */
    private volatile long lastAnySeenMs = Long.MIN_VALUE / 2;

    /** Every silent node is declared down after the grace period (no probing). */
    public NodeLiveness(LongSupplier clockMs, long graceMs) {
        this(clockMs, graceMs, graceMs, 0);
    }

    /**
     * A node silent for the grace period is a suspect: its host is probed, and a node whose host answers stays
     * up until it has been silent for {@code hostAnswersLimitMs} (probed again every {@code recheckMs}).
     */
    public NodeLiveness(LongSupplier clockMs, long graceMs, long hostAnswersLimitMs, long recheckMs) {
        this.clock = clockMs;
        this.graceMs = graceMs;
        this.hostAnswersLimitMs = Math.max(graceMs, hostAnswersLimitMs);
        this.recheckMs = recheckMs;
    }

    /**
     * A sign of life (registration or heartbeat). Returns true when the node had been declared down,
     * so that the caller sets it READY again.
     */
    public boolean seen(String nodeId) {
        lastAnySeenMs = clock.getAsLong();
        Entry before = nodes.put(nodeId, new Entry(clock.getAsLong(), Mark.ALIVE, 0, false));
        return before != null && before.mark == Mark.DECLARED_DOWN;
    }

    /**
     * Starts tracking a node that has no session here and whose session manager went away (stopped, crashed,
     * demoted), as if it had been seen now: unless a sign of life comes, it is judged like any silent node after
     * the grace period, except that a host that answers keeps it up for twice the limit (its agent is moving its
     * session, which takes a manager timeout and a registration). Its silence does not count as this manager's
     * own (the all-silent rule of {@link #expire}). Returns false when the node was tracked already.
     */
    public boolean adopt(String nodeId) {
        return nodes.putIfAbsent(nodeId, new Entry(clock.getAsLong(), Mark.ALIVE, 0, true)) == null;
    }

    /**
     * The nodes silent for longer than the grace period and neither declared down nor being probed: those
     * silent past the limit for a host that answers (or the grace, without probing) are declared down by
     * this call, the others become suspects to probe. Each is returned once until it is seen again,
     * {@link #retry}d, or its host answered and the recheck time came.
     *
     * <p>When two or more nodes are tracked and not one sign of life from any of them was taken in for the
     * grace period, the silence is this manager's (its event loop stalled on a loaded host, a long GC pause:
     * the heartbeats wait unread), not every node's at once: nobody is declared down until a heartbeat gets
     * through again. A single tracked node cannot tell the two apart and goes down by the grace period.
     * Adopted nodes are never heard here: the rule neither counts nor spares them.
     */
    public Expiry expire() {
        long now = clock.getAsLong();
        int withSession = 0;
        for (Entry v : nodes.values()) {
            if (!v.adopted) {
                withSession++;
            }
        }
        boolean ownSilence = withSession >= 2 && now - lastAnySeenMs >= graceMs;
        List<String> down = new ArrayList<>();
        List<String> suspects = new ArrayList<>();
        for (Map.Entry<String, Entry> e : nodes.entrySet()) {
            Entry v = e.getValue();
            long silent = now - v.lastSeenMs;
            if (v.mark != Mark.ALIVE || silent < graceMs || now < v.recheckAtMs || ownSilence && !v.adopted) {
                continue;
            }
            boolean limit = silent >= (v.adopted ? 2 * hostAnswersLimitMs : hostAnswersLimitMs);
            if (nodes.replace(e.getKey(), v, v.with(limit ? Mark.DECLARED_DOWN : Mark.PROBING, 0))) {
                (limit ? down : suspects).add(e.getKey());
            }
        }
        return new Expiry(down, suspects);
    }

    /**
     * The probe of a suspect's host: answered, the node stays up (offered again after the recheck time); not, it
     * is declared down. Returns true when this call declared it down.
     */
    public boolean probed(String nodeId, boolean hostAnswers) {
        long now = clock.getAsLong();
        boolean[] declared = {false};
        nodes.computeIfPresent(nodeId, (k, v) -> {
            if (v.mark != Mark.PROBING) {
                return v; // seen meanwhile
            }
            if (hostAnswers) {
                return v.with(Mark.ALIVE, now + recheckMs);
            }
            declared[0] = true;
            return v.with(Mark.DECLARED_DOWN, 0);
        });
        return declared[0];
    }

    /** Writing DOWN failed: offer the node again on the next {@link #expire}. */
    public void retry(String nodeId) {
        nodes.computeIfPresent(nodeId, (k, v) -> v.mark == Mark.DECLARED_DOWN ? v.with(Mark.ALIVE, 0) : v);
    }

    /** Stop tracking (the node was removed, or its session lives on another manager now). */
    public void forget(String nodeId) {
        nodes.remove(nodeId);
    }

    public boolean tracked(String nodeId) {
        return nodes.containsKey(nodeId);
    }

    /** Whether the node is tracked as an adopted orphan (no sign of life taken in here since). */
    public boolean adopted(String nodeId) {
        Entry e = nodes.get(nodeId);
        return e != null && e.adopted;
    }

    public boolean declaredDown(String nodeId) {
        Entry e = nodes.get(nodeId);
        return e != null && e.mark == Mark.DECLARED_DOWN;
    }
}
