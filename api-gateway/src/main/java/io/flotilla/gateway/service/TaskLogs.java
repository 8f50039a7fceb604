package io.flotilla.gateway.service;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Docker's service and task logs: each task's container log is read from the node that runs it (its
 * Docker API endpoint) and re-framed as Docker's multiplexed stream, one frame per line, each line
 * prefixed with the task's context ({@code com.docker.swarm.node.id=..,com.docker.swarm.service.id=..,
 * com.docker.swarm.task.id=..}) when details are asked for (the CLI always asks), after the timestamp
 * when timestamps are asked for. Sources are read one after the other, or all at once when following.
 * A node that cannot be reached (gone, down, firewalled) is skipped: the fetcher has a short connect
 * timeout.
 */
public final class TaskLogs {
    /** The query of a logs call, as Docker names it. */
    public record Options(boolean stdout, boolean stderr, boolean follow, String tail, String since,
                          boolean timestamps, boolean details) {
        /** The container logs query sent to the node (timestamps as asked, details are ours). */
        public String containerQuery() {
            StringBuilder q = new StringBuilder();
            q.append("stdout=").append(stdout ? 1 : 0).append("&stderr=").append(stderr ? 1 : 0);
            q.append("&follow=").append(follow ? 1 : 0).append("&timestamps=").append(timestamps ? 1 : 0);
            if (tail != null && !tail.isEmpty()) q.append("&tail=").append(java.net.URLEncoder.encode(tail, StandardCharsets.UTF_8));
            if (since != null && !since.isEmpty()) q.append("&since=").append(java.net.URLEncoder.encode(since, StandardCharsets.UTF_8));
            return q.toString();
        }
    }

    /** One task's container on its node. */
    public record Source(String nodeId, String serviceId, String taskId, String nodeAddr, String containerId, boolean tty) {
        String context() {
            return "com.docker.swarm.node.id=" + nodeId + ",com.docker.swarm.service.id=" + serviceId
                    + ",com.docker.swarm.task.id=" + taskId;
        }
    }

    /** Opens a container's log stream on a node; throws if the node cannot be reached or says no. */
    public interface Fetcher {
        InputStream open(Source source, Options options) throws IOException;
    }

    private final Fetcher fetcher;

    public TaskLogs(Fetcher fetcher) {
        this.fetcher = fetcher;
    }

    /** Writes every source's log to {@code out}; returns when all are read (or the client went away). */
    public void write(List<Source> sources, Options options, OutputStream out) throws IOException {
        if (!options.follow() || sources.size() <= 1) {
            for (Source s : sources) {
                copy(s, options, out, null);
            }
            return;
        }
        AtomicBoolean clientGone = new AtomicBoolean();
        List<Thread> readers = new ArrayList<>();
        for (Source s : sources) {
            Thread t = new Thread(() -> {
                try {
                    copy(s, options, out, clientGone);
                } catch (IOException e) {
                    clientGone.set(true);
                }
            }, "logs-" + s.taskId());
            t.setDaemon(true);
            t.start();
            readers.add(t);
        }
        for (Thread t : readers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void copy(Source s, Options options, OutputStream out, AtomicBoolean clientGone) throws IOException {
        InputStream in;
        try {
            in = fetcher.open(s, options);
        } catch (IOException e) {
            return;                                   // node gone or container removed: skip it
        }
        byte[] prefix = (options.details() ? s.context() : "").getBytes(StandardCharsets.UTF_8);
        LineFramer framer = new LineFramer(out, prefix, options.timestamps());
        try (in) {
            if (s.tty()) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    framer.feed(1, buf, 0, n);
                    if (clientGone != null && clientGone.get()) return;
                }
            } else {
                DataInputStream data = new DataInputStream(in);
                byte[] header = new byte[8];
                while (true) {
                    try {
                        data.readFully(header);
                    } catch (EOFException e) {
                        break;
                    }
                    int stream = header[0] == 2 ? 2 : 1;
                    int size = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
                    byte[] payload = new byte[size];
                    data.readFully(payload);
                    framer.feed(stream, payload, 0, size);
                    if (clientGone != null && clientGone.get()) return;
                }
            }
        } catch (IOException e) {
            if (clientGone == null) {
                framer.flushRest();
                return;                               // a source that breaks off ends its part only
            }
        }
        framer.flushRest();
    }

    /** Cuts a source's bytes into lines and writes each as one frame: [ts ]details line. */
    static final class LineFramer {
        private final OutputStream out;
        private final byte[] prefix;
        private final boolean timestamps;
        private final ByteArrayOutputStream[] pending = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};

        LineFramer(OutputStream out, byte[] prefix, boolean timestamps) {
            this.out = out;
            this.prefix = prefix;
            this.timestamps = timestamps;
        }

        void feed(int stream, byte[] b, int off, int len) throws IOException {
            ByteArrayOutputStream p = pending[stream - 1];
            for (int i = off; i < off + len; i++) {
                p.write(b[i]);
                if (b[i] == '\n') {
                    emit(stream, p.toByteArray());
                    p.reset();
                }
            }
        }

        void flushRest() throws IOException {
            for (int s = 1; s <= 2; s++) {
                if (pending[s - 1].size() > 0) {
                    pending[s - 1].write('\n');
                    emit(s, pending[s - 1].toByteArray());
                    pending[s - 1].reset();
                }
            }
        }

        private void emit(int stream, byte[] line) throws IOException {
            ByteArrayOutputStream frame = new ByteArrayOutputStream(line.length + prefix.length + 2);
            int rest = 0;
            if (timestamps) {
                int sp = indexOf(line, (byte) ' ');
                if (sp >= 0) {
                    frame.write(line, 0, sp + 1);
                    rest = sp + 1;
                }
            }
            if (prefix.length > 0) {
                frame.write(prefix);
                frame.write(' ');
            }
            frame.write(line, rest, line.length - rest);
            writeFrame(out, stream, frame.toByteArray());
        }

        private static int indexOf(byte[] b, byte c) {
            for (int i = 0; i < b.length; i++) {
                if (b[i] == c) return i;
            }
            return -1;
        }
    }

    /** One frame of Docker's multiplexed stream: stream byte, three zeros, big-endian length, payload. */
    static void writeFrame(OutputStream out, int stream, byte[] payload) throws IOException {
        byte[] header = {(byte) stream, 0, 0, 0, (byte) (payload.length >>> 24), (byte) (payload.length >>> 16),
                (byte) (payload.length >>> 8), (byte) payload.length};
        synchronized (out) {
            out.write(header);
            out.write(payload);
            out.flush();
        }
    }
}
