package io.flotilla.state.raft;

import org.jgroups.util.SocketFactory;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * A transport's sockets on a slow host: each accepted connection is taken up only after a delay, so a peer's
 * handshake with this member takes that long (as a manager's on a loaded host, seen on the lab: over a second).
 */
final class SlowAcceptSockets {
    private SlowAcceptSockets() {
    }

    /** The delegate's sockets, its server sockets accepting slowly. */
    static SocketFactory of(SocketFactory delegate, long delayMs) {
        return (SocketFactory) Proxy.newProxyInstance(SocketFactory.class.getClassLoader(), new Class<?>[]{SocketFactory.class},
                (proxy, method, args) -> {
                    try {
                        Object result = method.invoke(delegate, args);
                        return result instanceof ServerSocket s ? new Slow(s, delayMs) : result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static final class Slow extends ServerSocket {
        private final ServerSocket inner;
        private final long delayMs;

        Slow(ServerSocket inner, long delayMs) throws IOException {
            this.inner = inner;
            this.delayMs = delayMs;
        }

        @Override
        public Socket accept() throws IOException {
            Socket s = inner.accept();
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return s;
        }

        @Override
        public void bind(SocketAddress endpoint) throws IOException {
            inner.bind(endpoint);
        }

        @Override
        public void bind(SocketAddress endpoint, int backlog) throws IOException {
            inner.bind(endpoint, backlog);
        }

        @Override
        public InetAddress getInetAddress() {
            return inner.getInetAddress();
        }

        @Override
        public int getLocalPort() {
            return inner.getLocalPort();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return inner.getLocalSocketAddress();
        }

        @Override
        public void setReceiveBufferSize(int size) throws SocketException {
            inner.setReceiveBufferSize(size);
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }

        @Override
        public boolean isClosed() {
            return inner.isClosed();
        }

        @Override
        public boolean isBound() {
            return inner.isBound();
        }
    }
}
