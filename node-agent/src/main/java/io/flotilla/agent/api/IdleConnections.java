package io.flotilla.agent.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * Kept-alive connections to one backend, idle between requests: a proxied request takes one instead of opening a
 * connection of its own (a connect, and on the api-gateway's side an accept and a new HTTP connection: about a
 * third of a GET /tasks's CPU there). At most {@code max} are kept, none longer than {@code maxIdleMs}; one the
 * backend closed meanwhile is found out when taken (a read that does not block sees its end) and dropped. The
 * backend may still close one just after that check: callers use them only for requests they can send again.
 */
final class IdleConnections {
    private record Idle(Wire wire, long since) {
    }

    private final int max;
    private final long maxIdleMs;
    private final LongSupplier clock;
    private final Deque<Idle> idle = new ArrayDeque<>();

    IdleConnections(int max, long maxIdleMs, LongSupplier clock) {
        this.max = max;
        this.maxIdleMs = maxIdleMs;
        this.clock = clock;
    }

    /** The most recently given connection that is still open, or null. */
    Wire take() {
        for (Idle i = next(); i != null; i = next()) {
            if (clock.getAsLong() - i.since() <= maxIdleMs && open(i.wire())) {
                return i.wire();
            }
            i.wire().close();
        }
        return null;
    }

    private Idle next() {
        synchronized (idle) {
            return idle.pollFirst();
        }
    }

    /** Keeps a connection whose last response was read to its end (or closes it when enough are kept). */
    void give(Wire wire) {
        Idle dropped = null;
        synchronized (idle) {
            idle.addFirst(new Idle(wire, clock.getAsLong()));
            if (idle.size() > max) {
                dropped = idle.pollLast();
            }
        }
        if (dropped != null) {
            dropped.wire().close();
        }
    }

    int size() {
        synchronized (idle) {
            return idle.size();
        }
    }

    void closeAll() {
        for (Idle i = next(); i != null; i = next()) {
            i.wire().close();
        }
    }

    /** Nothing to read and not at its end: a connection between responses. Bytes out of turn count as broken. */
    static boolean open(Wire wire) {
        if (wire.buffered() > 0) {
            return false;
        }
        var ch = wire.channel();
        try {
            ch.configureBlocking(false);
            try {
                return ch.read(ByteBuffer.allocate(1)) == 0;
            } finally {
                ch.configureBlocking(true);
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
