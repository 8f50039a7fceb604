package io.flotilla.agent.lab;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A resolver of the test's own on an address of the lab (the hosts' resolv.conf names it): one name has an
 * A record, every other name is NXDOMAIN. Just enough of the wire format for one question per query.
 */
final class FakeUpstreamDns implements AutoCloseable {

    private final DatagramSocket socket;
    private final Thread thread;

    private FakeUpstreamDns(DatagramSocket socket, String name, byte[] address) {
        this.socket = socket;
        this.thread = new Thread(() -> serve(name, address), "fake-upstream-dns");
        thread.setDaemon(true);
        thread.start();
    }

    static FakeUpstreamDns start(String bind, String name, String address) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(bind, 53));
        return new FakeUpstreamDns(s, name, InetAddress.getByName(address).getAddress());
    }

    private void serve(String name, byte[] address) {
        byte[] buf = new byte[512];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                byte[] answer = answer(buf, p.getLength(), name, address);
                if (answer != null) {
                    socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                }
            } catch (SocketException closed) {
                return;
            } catch (IOException | RuntimeException e) {
                // a malformed query: no answer
            }
        }
    }

    static byte[] answer(byte[] q, int len, String name, byte[] address) {
        if (len < 17) {
            return null;
        }
        StringBuilder qname = new StringBuilder();
        int i = 12;
        while (q[i] != 0) {
            int l = q[i] & 0xff;
            qname.append(qname.length() == 0 ? "" : ".").append(new String(q, i + 1, l, StandardCharsets.US_ASCII));
            i += l + 1;
        }
        int qtype = ((q[i + 1] & 0xff) << 8) | (q[i + 2] & 0xff);
        int questionEnd = i + 5;
        boolean known = qname.toString().equalsIgnoreCase(name);
        boolean withA = known && qtype == 1;
        ByteBuffer out = ByteBuffer.allocate(questionEnd + 16);
        out.put(q, 0, 2);                                   // id
        out.putShort((short) (0x8180 | (known ? 0 : 3)));  // response, RD, RA; NXDOMAIN when unknown
        out.putShort((short) 1).putShort((short) (withA ? 1 : 0)).putShort((short) 0).putShort((short) 0);
        out.put(q, 12, questionEnd - 12);
        if (withA) {
            out.putShort((short) 0xC00C).putShort((short) 1).putShort((short) 1).putInt(60).putShort((short) 4)
                    .put(address);
        }
        byte[] r = new byte[out.position()];
        out.flip();
        out.get(r);
        return r;
    }

    @Override
    public void close() {
        socket.close();
    }
}
