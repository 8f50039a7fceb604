package io.flotilla.dns.server;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The DNS listener on one address: UDP (receiver threads sharing one socket, one by default; local
 * answers are sent from the receiving thread, forwarded ones when upstream completes) and TCP
 * (length-prefixed messages, several per connection, a bounded pool of connection threads, an idle
 * timeout).
 *
 * <p>Receivers on one socket take turns on the socket's read lock, and each hand-over parks one thread
 * and wakes the other (a futex call and a context switch per query; with two receivers the throughput on
 * a 2-core host fell by more than half). So on a fixed port several receivers get a socket each
 * (SO_REUSEPORT); on port 0 (tests) they share one, and one receiver is the fast choice there. A local
 * answer costs a few microseconds of one thread, forwarded ones do not hold the receiver.
 */
public final class DnsServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DnsServer.class.getName());

    /** Tuning. */
    public record Options(int udpThreads, int maxTcpConnections, int tcpIdleMillis, long responseTimeoutMillis) {
        public static Options defaults() {
            return new Options(1, 64, 10_000, 3_000);
        }
    }

    private final DnsResponder responder;
    private final InetSocketAddress listen;
    private final Options options;
    private final List<Thread> threads = new ArrayList<>();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private DatagramChannel udp;
    private final List<DatagramChannel> extraUdp = new ArrayList<>();
    private ServerSocket tcp;
    private ThreadPoolExecutor tcpPool;
    private volatile boolean running;

    public DnsServer(DnsResponder responder, InetSocketAddress listen, Options options) {
        this.responder = responder;
        this.listen = listen;
        this.options = options;
    }

    /** Binds UDP and TCP on the same port (the UDP one's when the port is 0). */
    public synchronized void start() throws IOException {
        for (int attempt = 0; ; attempt++) {
            udp = openUdp(false);
            udp.bind(listen); // no SO_REUSEADDR: two UDP sockets must never share the port
            tcp = new ServerSocket();
            tcp.setReuseAddress(true);
            try {
                tcp.bind(new InetSocketAddress(listen.getAddress(), udpAddress().getPort()), 128);
                break;
            } catch (IOException e) {
                udp.close();
                tcp.close();
                if (listen.getPort() != 0 || attempt >= 20) {
                    throw e;
                }
                // an ephemeral UDP port whose TCP twin is taken: try another
            }
        }
        if (options.udpThreads() > 1 && listen.getPort() != 0) {
            // one socket per receiver on a fixed port (SO_REUSEPORT; the kernel spreads the clients by
            // address and port): no read lock to hand over. The plain bind above proved the port free;
            // the group binds right after (a process binding it in between without SO_REUSEPORT makes
            // this bind fail; with port 0 the kernel could give another reuse-port group's port away).
            int port = udpAddress().getPort();
            udp.close();
            try {
                bindGroup(port);
            } catch (IOException | RuntimeException e) {
                extraUdp.forEach(DnsServer::closeQuietly);
                extraUdp.clear();
                udp.close();
                tcp.close();
                throw e;
            }
        }
        running = true;
        AtomicInteger n = new AtomicInteger();
        tcpPool = new ThreadPoolExecutor(0, options.maxTcpConnections(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemon(r, "dns-tcp-" + n.incrementAndGet()));
        for (int i = 0; i < options.udpThreads(); i++) {
            DatagramChannel s = i == 0 || extraUdp.isEmpty() ? udp : extraUdp.get(i - 1);
            threads.add(daemon(() -> udpLoop(s), "dns-udp-" + i));
        }
        threads.add(daemon(this::acceptLoop, "dns-tcp-accept"));
        threads.forEach(Thread::start);
    }

    /** The receivers' sockets on the port, SO_REUSEPORT each (udp is the first). */
    private void bindGroup(int port) throws IOException {
        for (int i = 0; i < options.udpThreads(); i++) {
            DatagramChannel s = openUdp(true);
            if (i == 0) {
                udp = s;
            } else {
                extraUdp.add(s);
            }
            s.bind(new InetSocketAddress(listen.getAddress(), port));
        }
    }

    private DatagramChannel openUdp(boolean reusePort) throws IOException {
        DatagramChannel ch = DatagramChannel.open(listen.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            if (reusePort) {
                ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20); // the kernel's limit applies
            ch.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    public InetSocketAddress udpAddress() {
        try {
            return (InetSocketAddress) udp.getLocalAddress();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public InetSocketAddress tcpAddress() {
        return (InetSocketAddress) tcp.getLocalSocketAddress();
    }

    /**
     * One receiver on its (blocking) channel: a receive is one recvfrom, which sleeps only when no query
     * is queued. A cached answer is copied into a direct buffer, given the query's id and sent from here
     * (no copy of the query, no future, no temporary buffer); anything else goes through
     * {@link DnsResponder#handle}.
     */
    private void udpLoop(DatagramChannel ch) {
        ByteBuffer in = ByteBuffer.allocateDirect(65535);
        ByteBuffer out = ByteBuffer.allocateDirect(65535);
        byte[] packet = new byte[65535];
        while (running) {
            in.clear();
            InetSocketAddress client;
            try {
                client = (InetSocketAddress) ch.receive(in);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!running) {
                    return;
                }
                continue;
            }
            int length = in.position();
            in.flip();
            in.get(packet, 0, length);
            InetAddress source = client.getAddress();
            try {
                byte[] hit = responder.cachedAnswer(packet, length, source);
                if (hit != null) { // shared: copied, with this query's id
                    out.clear();
                    out.put(hit);
                    out.put(0, packet[0]);
                    out.put(1, packet[1]);
                    out.flip();
                    send(ch, out, client);
                    continue;
                }
                responder.handle(Arrays.copyOf(packet, length), length, source, false).whenComplete((answer, err) -> {
                    if (answer != null) {
                        send(ch, ByteBuffer.wrap(answer), client);
                    }
                });
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "query from " + client + " failed", e);
            }
        }
    }

    private static void send(DatagramChannel ch, ByteBuffer answer, InetSocketAddress client) {
        try {
            ch.send(answer, client);
        } catch (IOException e) {
            LOG.log(Level.FINE, "answer to " + client + " not sent", e);
        }
    }

    private void acceptLoop() {
        while (running) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                if (!running) {
                    return;
                }
                continue;
            }
            try {
                tcpPool.execute(() -> serve(s));
            } catch (RuntimeException rejected) {
                closeQuietly(s); // too many connections
            }
        }
    }

    private void serve(Socket s) {
        connections.add(s);
        try (s) {
            s.setSoTimeout(options.tcpIdleMillis());
            s.setTcpNoDelay(true);
            InputStream rawIn = s.getInputStream();
            OutputStream rawOut = s.getOutputStream();
            DataInputStream in = new DataInputStream(rawIn);
            DataOutputStream out = new DataOutputStream(rawOut);
            while (running) {
                int len;
                try {
                    len = in.readUnsignedShort();
                } catch (EOFException e) {
                    return;
                }
                byte[] packet = new byte[len];
                in.readFully(packet);
                byte[] answer = responder.handle(packet, len, s.getInetAddress(), true).toCompletableFuture()
                        .get(options.responseTimeoutMillis(), TimeUnit.MILLISECONDS);
                if (answer == null) {
                    return; // not a query: hang up
                }
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            }
        } catch (IOException | TimeoutException e) {
            LOG.log(Level.FINE, "TCP connection ended", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.log(Level.FINE, "TCP query failed", e);
        } finally {
            connections.remove(s);
        }
    }

    public int openConnections() {
        return connections.size();
    }

    @Override
    public synchronized void close() {
        running = false;
        extraUdp.forEach(DnsServer::closeQuietly);
        closeQuietly(udp);
        closeQuietly(tcp);
        connections.forEach(DnsServer::closeQuietly);
        if (tcpPool != null) {
            tcpPool.shutdownNow();
        }
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.clear();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }
}
