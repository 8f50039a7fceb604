package io.flotilla.dns.server;

import com.sun.management.UnixOperatingSystemMXBean;
import io.flotilla.dns.view.NameTable;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of random and mutated packets over UDP, and garbage over TCP: the server keeps answering
 * correctly, and its threads, sockets and open TCP connections do not grow from one round to the next.
 */
class DnsFuzzTest {
    private static final long SEED = Long.getLong("fuzz.seed", 20261125L);

    @Test
    void randomAndMutatedPacketsNeitherCrashNorLeak() throws Exception {
        try (TestUpstream upstream = new TestUpstream()) {
            NameTable table = DnsServerTest.serverTable();
            DnsResponder responder = new DnsResponder(table, new ForwardingUpstream(List.of(upstream.address()),
                    Duration.ofMillis(300), Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, "fuzz-callbacks");
                        t.setDaemon(true);
                        return t;
                    })), 1, 256);
            DnsServer server = new DnsServer(responder, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    new DnsServer.Options(2, 16, 500, 1000));
            server.start();
            try {
                assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
                    Random random = new Random(SEED);
                    check(server);
                    round(server, random); // warm-up: dnsjava's client threads, the TCP pool
                    Thread.sleep(1200);
                    int threads1 = Thread.activeCount();
                    long fds1 = openFiles();
                    for (int i = 0; i < 3; i++) {
                        round(server, random);
                    }
                    Thread.sleep(1200); // idle TCP connections time out (500 ms), forwards time out (300 ms)
                    check(server);
                    // three rounds of thousands of packets: a leak per packet or per connection would show as
                    // hundreds; a few pool threads (JDK, dnsjava) may come and go with the machine's load
                    int threads2 = Thread.activeCount();
                    long fds2 = openFiles();
                    for (long until = System.nanoTime() + 10_000_000_000L;
                         (threads2 > threads1 + 8 || fds2 > fds1 + 4) && System.nanoTime() < until; ) {
                        Thread.sleep(200);
                        threads2 = Thread.activeCount();
                        fds2 = openFiles();
                    }
                    assertEquals(0, server.openConnections(), "every fuzzing TCP connection was closed");
                    assertTrue(threads2 <= threads1 + 8, "threads " + threads1 + " -> " + threads2);
                    assertTrue(fds2 <= fds1 + 4, "open files " + fds1 + " -> " + fds2);
                    System.out.printf("fuzz: malformed=%d local=%d forwarded=%d servfail=%d threads %d->%d fds %d->%d%n",
                            responder.malformed.sum(), responder.local.sum(), responder.forwarded.sum(),
                            responder.servfail.sum(), threads1, threads2, fds1, fds2);
                });
            } finally {
                server.close();
            }
        }
    }

    /** 2,000 UDP packets (random, and valid queries with bytes flipped, cut or inserted) and 40 TCP connections. */
    private static void round(DnsServer server, Random random) throws Exception {
        List<byte[]> seeds = List.of(
                query("nodejs.", Type.A, false), query("tasks.many.", Type.A, true), query("example.test.", Type.A, false),
                query("3.0.32.172.in-addr.arpa.", Type.PTR, false), query("_http._tcp.nodejs.", Type.SRV, true),
                query("slow.test.", Type.AAAA, false));
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(1);
            for (int i = 0; i < 2000; i++) {
                byte[] p = random.nextInt(4) == 0 ? randomBytes(random, random.nextInt(600))
                        : mutate(seeds.get(random.nextInt(seeds.size())), random);
                s.send(new DatagramPacket(p, p.length, server.udpAddress()));
                drain(s);
            }
        }
        for (int i = 0; i < 40; i++) {
            try (Socket c = new Socket()) {
                c.connect(server.tcpAddress(), 1000);
                c.setSoTimeout(200);
                OutputStream out = c.getOutputStream();
                byte[] body = random.nextBoolean() ? mutate(seeds.get(random.nextInt(seeds.size())), random)
                        : randomBytes(random, random.nextInt(300));
                int declared = random.nextInt(3) == 0 ? random.nextInt(65536) : body.length; // sometimes a lie
                out.write(new byte[]{(byte) (declared >> 8), (byte) declared});
                out.write(body);
                out.flush();
                if (random.nextBoolean()) {
                    try {
                        c.getInputStream().read(new byte[512]);
                    } catch (java.io.IOException ignored) {
                        // no answer within 200 ms: fine
                    }
                }
            }
        }
    }

    private static void drain(DatagramSocket s) {
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        try {
            while (true) {
                s.receive(in);
            }
        } catch (java.io.IOException ignored) {
            // nothing more
        }
    }

    private static void check(DnsServer server) throws Exception {
        SimpleResolver r = new SimpleResolver(server.udpAddress());
        r.setTimeout(Duration.ofSeconds(3));
        Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString("nodejs."), Type.A, DClass.IN)));
        assertEquals("172.32.0.2", ((ARecord) m.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
    }

    private static byte[] query(String name, int type, boolean edns) {
        try {
            Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
            if (edns) {
                m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
            }
            return m.toWire();
        } catch (org.xbill.DNS.TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] b = seed.clone();
        switch (random.nextInt(4)) {
            case 0 -> { // flip a few bits
                for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> b = java.util.Arrays.copyOf(b, random.nextInt(b.length)); // cut
            case 2 -> { // overwrite a count or a label length with a random byte
                int[] spots = {4, 5, 6, 7, 8, 9, 10, 11, 12};
                b[spots[random.nextInt(spots.length)]] = (byte) random.nextInt(256);
            }
            default -> { // insert random bytes
                int at = random.nextInt(b.length);
                byte[] extra = randomBytes(random, 1 + random.nextInt(20));
                byte[] out = new byte[b.length + extra.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(extra, 0, out, at, extra.length);
                System.arraycopy(b, at, out, at + extra.length, b.length - at);
                b = out;
            }
        }
        return b;
    }

    private static long openFiles() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean u
                ? u.getOpenFileDescriptorCount() : 0;
    }
}
