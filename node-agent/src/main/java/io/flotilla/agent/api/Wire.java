package io.flotilla.agent.api;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One side of a proxied connection: a blocking socket channel (TCP or Unix domain) with a read buffer, so
 * that HTTP heads can be parsed and whatever was read past them is still forwarded. Reading and writing
 * may happen on two threads at once (one reader, one writer).
 */
final class Wire implements Closeable {

    static final int MAX_HEAD = 64 * 1024;

    private final SocketChannel channel;
    /** Unread bytes between position and limit. */
    private final ByteBuffer in = ByteBuffer.allocate(32 * 1024).flip();

    Wire(SocketChannel channel) {
        this.channel = channel;
    }

    SocketChannel channel() {
        return channel;
    }

    /** Reads more bytes into the buffer; -1 at end of stream. */
    int fill() throws IOException {
        in.compact();
        try {
            if (!in.hasRemaining()) {
                throw new IOException("read buffer full");
            }
            return channel.read(in);
        } finally {
            in.flip();
        }
    }

    int buffered() {
        return in.remaining();
    }

    /** Up to max buffered bytes (reading more if none are buffered), or null at end of stream. */
    ByteBuffer take(long max) throws IOException {
        if (!in.hasRemaining() && fill() < 0) {
            return null;
        }
        int n = (int) Math.min(max, in.remaining());
        ByteBuffer slice = in.slice();
        slice.limit(n);
        in.position(in.position() + n);
        return slice;
    }

    /**
     * The bytes of one HTTP head (start line to the empty line, inclusive), or null when the stream ends
     * before its first byte. Leading empty lines (allowed between requests) are skipped.
     */
    byte[] readHead() throws IOException {
        int scanned = 0;
        while (true) {
            while (in.remaining() >= 2 && in.get(in.position()) == '\r' && in.get(in.position() + 1) == '\n') {
                in.position(in.position() + 2);
                scanned = 0;
            }
            int end = findEnd(scanned);
            if (end >= 0) {
                byte[] head = new byte[end - in.position()];
                in.get(head);
                return head;
            }
            scanned = Math.max(0, in.remaining() - 3);
            if (in.remaining() >= MAX_HEAD) {
                throw new HttpProtocolException(431, "request header too large");
            }
            if (fill() < 0) {
                if (!in.hasRemaining()) {
                    return null;
                }
                throw new EOFException("connection closed inside an HTTP head");
            }
        }
    }

    /** Absolute index just past the first CRLFCRLF at or after position+from, or -1. */
    private int findEnd(int from) {
        int p = in.position();
        for (int i = p + from; i + 3 < in.limit(); i++) {
            if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    /** One line including its CRLF (for chunk sizes and trailers). */
    byte[] readLine() throws IOException {
        int scanned = 0;
        while (true) {
            int p = in.position();
            for (int i = p + scanned; i < in.limit(); i++) {
                if (in.get(i) == '\n') {
                    byte[] line = new byte[i + 1 - p];
                    in.get(line);
                    return line;
                }
            }
            scanned = in.remaining();
            if (in.remaining() >= 8192) {
                throw new HttpProtocolException(400, "line too long");
            }
            if (fill() < 0) {
                throw new EOFException("connection closed inside a chunked body");
            }
        }
    }

    void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    void write(byte[] b) throws IOException {
        write(ByteBuffer.wrap(b));
    }

    void shutdownOutput() {
        try {
            channel.shutdownOutput();
        } catch (IOException | RuntimeException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
