package io.flotilla.dns.server;

import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tests' own upstream resolver on loopback (dnsjava for the wire format): example.test -> 192.0.2.1,
 * big.test -> 100 addresses (cut with TC over UDP), slow.test -> never answers, anything else NXDOMAIN.
 */
final class TestUpstream implements AutoCloseable {
    final AtomicInteger udpQueries = new AtomicInteger();
    final AtomicInteger tcpQueries = new AtomicInteger();
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private volatile boolean running = true;

    TestUpstream() throws IOException {
        udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        tcp = new ServerSocket(udp.getLocalPort(), 50, InetAddress.getLoopbackAddress());
        Thread u = new Thread(this::udpLoop, "test-upstream-udp");
        Thread t = new Thread(this::tcpLoop, "test-upstream-tcp");
        u.setDaemon(true);
        t.setDaemon(true);
        u.start();
        t.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort());
    }

    static Message answer(Message q) {
        Message m = new Message(q.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        Record question = q.getQuestion();
        m.addRecord(question, Section.QUESTION);
        String name = question.getName().toString(true);
        try {
            switch (name) {
                case "example.test" -> m.addRecord(new ARecord(question.getName(), DClass.IN, 60,
                        InetAddress.getByName("192.0.2.1")), Section.ANSWER);
                case "big.test" -> {
                    for (int i = 1; i <= 100; i++) {
                        m.addRecord(new ARecord(question.getName(), DClass.IN, 60,
                                InetAddress.getByName("198.51.100." + i)), Section.ANSWER);
                    }
                }
                default -> m.getHeader().setRcode(Rcode.NXDOMAIN);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (q.getOPT() != null) {
            m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        }
        return m;
    }

    private void udpLoop() {
        byte[] buf = new byte[4096];
        while (running) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                udpQueries.incrementAndGet();
                Message q = new Message(java.util.Arrays.copyOf(buf, p.getLength()));
                if (q.getQuestion().getName().toString(true).equals("slow.test")) {
                    continue;
                }
                int max = q.getOPT() == null ? 512 : q.getOPT().getPayloadSize();
                byte[] out = answer(q).toWire(max);
                udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private void tcpLoop() {
        while (running) {
            try {
                Socket s = tcp.accept();
                Thread t = new Thread(() -> serveTcp(s), "test-upstream-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private void serveTcp(Socket socket) {
        try (Socket s = socket) {
            s.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (running) { // several queries per connection, as dnsjava pipelines them
                byte[] b = new byte[in.readUnsignedShort()];
                in.readFully(b);
                tcpQueries.incrementAndGet();
                Message q = new Message(b);
                if (q.getQuestion().getName().toString(true).equals("slow.test")) {
                    continue;
                }
                byte[] a = answer(q).toWire();
                out.writeShort(a.length);
                out.write(a);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the test's upstream: nothing to do
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        udp.close();
        tcp.close();
    }
}
