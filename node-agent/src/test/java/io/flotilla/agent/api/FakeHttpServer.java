package io.flotilla.agent.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A scripted HTTP/1.1 server (Unix socket or loopback TCP) standing in for dockerd or the api-gateway. */
final class FakeHttpServer implements AutoCloseable {

    interface Handler {
        /** Writes the whole response; returns false to close the connection afterwards. */
        boolean handle(HttpHead req, byte[] body, Wire conn) throws IOException;
    }

    final List<String> requests = new CopyOnWriteArrayList<>();
    /** Connections accepted so far. */
    final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    private final ServerSocketChannel server;
    private volatile Handler handler;
    private final Thread acceptor;

    private FakeHttpServer(ServerSocketChannel server, Handler handler) {
        this.server = server;
        this.handler = handler;
        acceptor = new Thread(this::accept, "fake-http");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static FakeHttpServer unix(Path path, Handler h) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        return new FakeHttpServer(s, h);
    }

    static FakeHttpServer tcp(Handler h) throws IOException {
        return tcp(0, h);
    }

    /**
     * On a given loopback port (0: any free one). A given port that is still taken (by a server on it that just
     * closed, or by a connection that got it as its own port meanwhile) is tried again for up to 5 s.
     */
    static FakeHttpServer tcp(int port, Handler h) throws IOException {
        long until = System.nanoTime() + 5_000_000_000L;
        while (true) {
            ServerSocketChannel s = ServerSocketChannel.open();
            try {
                s.bind(new InetSocketAddress("127.0.0.1", port));
                return new FakeHttpServer(s, h);
            } catch (java.net.BindException e) {
                s.close();
                if (port == 0 || System.nanoTime() > until) {
                    throw e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Answers the requests that come from now on (on connections old and new) with h. */
    void handler(Handler h) {
        handler = h;
    }

    int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                connections.incrementAndGet();
                Thread t = new Thread(() -> serve(c));
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(SocketChannel c) {
        try (Wire w = new Wire(c)) {
            while (true) {
                byte[] raw = w.readHead();
                if (raw == null) {
                    return;
                }
                HttpHead req = HttpHead.parse(raw);
                byte[] body = Bodies.readBody(req, w, 1 << 20)[1];
                requests.add(req.method() + " " + req.target() + (body.length > 0
                        ? " " + new String(body, StandardCharsets.UTF_8) : ""));
                if (!handler.handle(req, body, w)) {
                    return;
                }
            }
        } catch (IOException e) {
            // connection ended
        }
    }

    static void respond(Wire w, int status, String contentType, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        w.write(("HTTP/1.1 " + status + " X\r\nContent-Type: " + contentType + "\r\nContent-Length: " + b.length
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        w.write(b);
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
