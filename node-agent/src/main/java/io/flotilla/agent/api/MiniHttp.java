package io.flotilla.agent.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Small requests the agent makes itself (to dockerd or the gateway), with a deadline. */
final class MiniHttp {

    record Result(int status, HttpHead head, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "api-timeouts");
        t.setDaemon(true);
        return t;
    });

    private MiniHttp() {
    }

    static Result get(Backend backend, String path, long timeoutMillis) throws IOException {
        return exchange(backend, "GET", path, null, timeoutMillis);
    }

    static Result exchange(Backend backend, String method, String path, byte[] body, long timeoutMillis)
            throws IOException {
        try (Wire w = new Wire(backend.connect())) {
            ScheduledFuture<?> deadline = TIMER.schedule(w::close, timeoutMillis, TimeUnit.MILLISECONDS);
            try {
                StringBuilder sb = new StringBuilder();
                sb.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: flotilla\r\n")
                        .append("User-Agent: flotilla-node-agent\r\nConnection: close\r\n");
                if (body != null) {
                    sb.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
                }
                sb.append("\r\n");
                w.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (body != null) {
                    w.write(body);
                }
                while (true) {
                    byte[] raw = w.readHead();
                    if (raw == null) {
                        throw new IOException(backend.name() + " closed the connection without answering");
                    }
                    HttpHead head = HttpHead.parse(raw);
                    int status = head.status();
                    if (status >= 100 && status < 200) {
                        continue;
                    }
                    ByteArrayOutputStream decoded = new ByteArrayOutputStream();
                    if (method.equals("HEAD") || status == 204 || status == 304) {
                        // no body
                    } else if (head.chunked()) {
                        Bodies.copyChunked(w, Bodies.Sink.DISCARD, decoded);
                    } else if (head.contentLength() >= 0) {
                        Bodies.copyFixed(w, Bodies.Sink.DISCARD, head.contentLength(), decoded);
                    } else {
                        Bodies.copyToEof(w, b -> decoded.write(b.array(), b.arrayOffset() + b.position(),
                                b.remaining()));
                    }
                    return new Result(status, head, decoded.toByteArray());
                }
            } finally {
                deadline.cancel(false);
            }
        }
    }
}
