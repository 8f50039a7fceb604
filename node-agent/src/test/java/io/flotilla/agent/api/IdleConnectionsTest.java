package io.flotilla.agent.api;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which kept-alive connections are handed out again. */
class IdleConnectionsTest {

    /** Connected pairs on loopback: the client's Wire and the server's channel. */
    private static final class Pairs implements AutoCloseable {
        final ServerSocketChannel server = ServerSocketChannel.open();
        final List<SocketChannel> accepted = new ArrayList<>();

        Pairs() throws IOException {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
        }

        Wire connect() throws IOException {
            Wire w = new Wire(SocketChannel.open(server.getLocalAddress()));
            accepted.add(server.accept());
            return w;
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel c : accepted) {
                c.close();
            }
            server.close();
        }
    }

    /** The clock of {@link #idle}: at most 4 kept, none idle over 1,000 of it. */
    private final AtomicLong now = new AtomicLong();
    private final IdleConnections idle = new IdleConnections(4, 1000, now::get);

    @Test
    void theLastGivenOpenConnectionIsTakenAgainAndStaysUsable() throws IOException {
        try (Pairs p = new Pairs()) {
            Wire a = p.connect();
            Wire b = p.connect();
            idle.give(a);
            idle.give(b);
            Wire taken = idle.take();
            assertSame(b, taken);
            taken.write("ping".getBytes());
            ByteBuffer got = ByteBuffer.allocate(4);
            while (got.hasRemaining()) {
                p.accepted.get(1).read(got);
            }
            assertEquals("ping", new String(got.array()));
            assertSame(a, idle.take());
            assertNull(idle.take());
        }
    }

    @Test
    void closedUnexpectedOrTooOldConnectionsAreDroppedAndClosed() throws IOException {
        try (Pairs p = new Pairs()) {
            Wire closedByPeer = p.connect();
            Wire chatty = p.connect();
            Wire old = p.connect();
            idle.give(old);
            now.set(1500);
            idle.give(chatty);
            idle.give(closedByPeer);
            p.accepted.get(0).close();
            p.accepted.get(1).write(ByteBuffer.wrap("x".getBytes())); // bytes out of turn: not a clean connection
            long until = System.currentTimeMillis() + 2000;
            while (IdleConnections.open(closedByPeer) && System.currentTimeMillis() < until) {
                Thread.onSpinWait();
            }
            assertNull(idle.take(), "closed by the backend, bytes between answers, idle 1.5 s of at most 1");
            assertEquals(0, idle.size());
            assertFalse(old.channel().isOpen());
            assertFalse(chatty.channel().isOpen());
        }
    }

    @Test
    void atMostMaxAreKeptTheOldestGoFirst() throws IOException {
        IdleConnections two = new IdleConnections(2, 1000, () -> 0);
        try (Pairs p = new Pairs()) {
            Wire a = p.connect();
            Wire b = p.connect();
            Wire c = p.connect();
            two.give(a);
            two.give(b);
            two.give(c);
            assertEquals(2, two.size());
            assertFalse(a.channel().isOpen(), "the oldest closed");
            assertTrue(b.channel().isOpen() && c.channel().isOpen());
            two.closeAll();
            assertFalse(b.channel().isOpen() || c.channel().isOpen());
        }
    }
}
