package io.flotilla.agent.api;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Moves HTTP message bodies between wires as they arrive (no buffering: logs -f and events stream). */
final class Bodies {

    private Bodies() {
    }

    /** Where body bytes go. */
    interface Sink {
        void write(ByteBuffer bytes) throws IOException;

        Sink DISCARD = b -> b.position(b.limit());

        static Sink of(Wire w) {
            return w::write;
        }
    }

    /** A sink that keeps the raw bytes and the decoded body (for bodies the agent reads itself). */
    static final class Capture implements Sink {
        final ByteArrayOutputStream raw = new ByteArrayOutputStream();
        final long max;

        Capture(long max) {
            this.max = max;
        }

        @Override
        public void write(ByteBuffer bytes) throws IOException {
            if (raw.size() + bytes.remaining() > max) {
                throw new HttpProtocolException(413, "request body too large");
            }
            byte[] b = new byte[bytes.remaining()];
            bytes.get(b);
            raw.write(b);
        }
    }

    /** The request's body framing: Content-Length or chunked; otherwise it has none. */
    static void copyRequestBody(HttpHead head, Wire from, Sink to) throws IOException {
        if (head.chunked()) {
            copyChunked(from, to, null);
        } else {
            long n = head.contentLength();
            if (n > 0) {
                copyFixed(from, to, n, null);
            }
        }
    }

    static void copyFixed(Wire from, Sink to, long n, ByteArrayOutputStream decoded) throws IOException {
        long left = n;
        while (left > 0) {
            ByteBuffer b = from.take(left);
            if (b == null) {
                throw new EOFException("connection closed inside a body");
            }
            left -= b.remaining();
            if (decoded != null) {
                decoded.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            }
            to.write(b);
        }
    }

    /** Forwards a chunked body verbatim (sizes, extensions, trailers); decoded gets the data if not null. */
    static void copyChunked(Wire from, Sink to, ByteArrayOutputStream decoded) throws IOException {
        while (true) {
            byte[] line = from.readLine();
            to.write(ByteBuffer.wrap(line));
            long size = chunkSize(line);
            if (size == 0) {
                while (true) {
                    byte[] trailer = from.readLine();
                    to.write(ByteBuffer.wrap(trailer));
                    if (trailer.length <= 2 && (trailer.length == 1 || trailer[0] == '\r')) {
                        return;
                    }
                }
            }
            copyFixed(from, to, size, decoded);
            byte[] crlf = from.readLine();
            to.write(ByteBuffer.wrap(crlf));
        }
    }

    static long chunkSize(byte[] line) throws HttpProtocolException {
        String s = new String(line, StandardCharsets.ISO_8859_1).trim();
        int semi = s.indexOf(';');
        if (semi >= 0) {
            s = s.substring(0, semi).trim();
        }
        try {
            long n = Long.parseLong(s, 16);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new HttpProtocolException(400, "bad chunk size");
        }
    }

    /** Everything until the stream ends. */
    static void copyToEof(Wire from, Sink to) throws IOException {
        ByteBuffer b;
        while ((b = from.take(Long.MAX_VALUE)) != null) {
            to.write(b);
        }
    }

    /** Reads a request body the agent handles itself: raw bytes as sent, and decoded. */
    static byte[][] readBody(HttpHead head, Wire from, long max) throws IOException {
        Capture raw = new Capture(max);
        ByteArrayOutputStream decoded = new ByteArrayOutputStream();
        if (head.chunked()) {
            copyChunked(from, raw, decoded);
        } else {
            long n = head.contentLength();
            if (n > max) {
                throw new HttpProtocolException(413, "request body too large");
            }
            if (n > 0) {
                copyFixed(from, raw, n, decoded);
            }
        }
        return new byte[][] {raw.raw.toByteArray(), decoded.toByteArray()};
    }
}
