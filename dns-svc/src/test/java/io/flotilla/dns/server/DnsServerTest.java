package io.flotilla.dns.server;

import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.dns.view.Fixtures;
import io.flotilla.dns.view.NameTable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

import static io.flotilla.dns.view.Fixtures.ip;
import static io.flotilla.dns.view.Fixtures.network;
import static io.flotilla.dns.view.Fixtures.obj;
import static io.flotilla.dns.view.Fixtures.running;
import static io.flotilla.dns.view.Fixtures.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server over real UDP and TCP sockets on loopback; queries from 127.0.0.1 are the busybox task's. */
class DnsServerTest {
    static TestUpstream upstream;
    static DnsServer server;
    static DnsResponder responder;
    static NameTable table;

    @BeforeAll
    static void start() throws Exception {
        upstream = new TestUpstream();
        table = serverTable();
        responder = new DnsResponder(table, new ForwardingUpstream(List.of(upstream.address()), Duration.ofMillis(600),
                Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "test-callbacks");
                    t.setDaemon(true);
                    return t;
                })), 1, 256);
        server = new DnsServer(responder, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                DnsServer.Options.defaults());
        server.start();
    }

    /** The walkthrough's services, plus "many" (dnsrr, 100 tasks); 127.0.0.1 is busybox's gwbridge address. */
    static NameTable serverTable() {
        List<StoredObject> objs = new ArrayList<>(List.of(
                obj(network("n1", "internal", false)),
                obj(network("n2", "other", false)),
                obj(service("s1", "nodejs", EndpointMode.ENDPOINT_VIP, "n1=172.32.0.2/24")),
                obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")),
                obj(running("t2", "s1", "nodejs", 2, "n1=172.32.0.4/24")),
                obj(service("s2", "busybox", EndpointMode.ENDPOINT_VIP, "n1=172.32.0.6/24")),
                obj(running("b1", "s2", "busybox", 1, "n1=172.32.0.7/24")),
                obj(service("s3", "secret", EndpointMode.ENDPOINT_VIP, "n2=10.1.0.2/24")),
                obj(Fixtures.attachedTo(service("s4", "many", EndpointMode.ENDPOINT_DNSRR), "n1"))));
        for (int i = 1; i <= 100; i++) {
            objs.add(obj(running("m" + i, "s4", "many", i, "n1=172.32.1." + i + "/16")));
        }
        NameTable t = new NameTable();
        t.load(objs, 1);
        t.putSources("b1", List.of(InetAddress.getLoopbackAddress()));
        return t;
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        upstream.close();
    }

    static Message query(String name, int type, boolean tcp, InetAddress from) throws Exception {
        SimpleResolver r = new SimpleResolver(server.udpAddress());
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(5));
        if (from != null) {
            r.setLocalAddress(from);
        }
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN)));
    }

    static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress()).sorted().toList();
    }

    @Test
    void serviceNamesOverUdpAndTcp() throws Exception {
        for (boolean tcp : new boolean[]{false, true}) {
            Message m = query("nodejs", Type.A, tcp, null);
            assertEquals(Rcode.NOERROR, m.getRcode());
            assertTrue(m.getHeader().getFlag(Flags.AA));
            assertEquals(List.of("172.32.0.2"), addresses(m));
            assertEquals(List.of("172.32.0.3", "172.32.0.4"), addresses(query("tasks.nodejs", Type.A, tcp, null)));
            assertEquals(List.of("172.32.0.3"), addresses(query("nodejs.1.t1.internal", Type.A, tcp, null)));
        }
    }

    @Test
    void aaaaOfAKnownNameIsAnEmptyNoError() throws Exception {
        long forwarded = responder.forwarded.sum();
        Message m = query("nodejs", Type.AAAA, false, null);
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertEquals(0, m.getSection(Section.ANSWER).size());
        assertEquals(forwarded, responder.forwarded.sum(), "answered here, not forwarded");
    }

    @Test
    void ptrAndSrv() throws Exception {
        Message ptr = query(ReverseMap.fromAddress("172.32.0.3").toString(), Type.PTR, false, null);
        assertEquals("nodejs.1.t1.internal.", ((PTRRecord) ptr.getSection(Section.ANSWER).get(0)).getTarget().toString());
        Message noSrv = query("_db._tcp.many", Type.SRV, false, null);
        assertEquals(0, noSrv.getSection(Section.ANSWER).stream().filter(r -> r instanceof SRVRecord).count(),
                "no port named db on many: not ours, upstream says NXDOMAIN");
        Message srv = query("_http._tcp.nodejs", Type.SRV, false, null);
        assertEquals(2, srv.getSection(Section.ANSWER).size());
        assertEquals(8080, ((SRVRecord) srv.getSection(Section.ANSWER).get(0)).getPort());
        assertEquals(2, srv.getSection(Section.ADDITIONAL).stream().filter(r -> r instanceof ARecord).count());
    }

    @Test
    void otherNamesAndOtherNetworksGoUpstream() throws Exception {
        int before = upstream.udpQueries.get();
        assertEquals(List.of("192.0.2.1"), addresses(query("example.test", Type.A, false, null)));
        assertEquals(Rcode.NXDOMAIN, query("secret", Type.A, false, null).getRcode(), "secret is on another network");
        assertTrue(upstream.udpQueries.get() >= before + 2);
        Message overTcp = query("example.test", Type.A, true, null);
        assertEquals(List.of("192.0.2.1"), addresses(overTcp), overTcp.toString());
    }

    @Test
    void aSourceThatIsNoTaskGetsNoSwarmNames() throws Exception {
        Message m = query("nodejs", Type.A, false, InetAddress.getByName("127.0.0.2"));
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
    }

    @Test
    void anUpstreamTimeoutIsAServfailNotAHang() throws Exception {
        long t0 = System.nanoTime();
        Message m = query("slow.test", Type.A, false, null);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(Rcode.SERVFAIL, m.getRcode());
        assertTrue(ms < 1500, "SERVFAIL after " + ms + " ms");
        Message tcp = query("slow.test", Type.A, true, null);
        assertEquals(Rcode.SERVFAIL, tcp.getRcode());
    }

    @Test
    void bigAnswersAreTruncatedOverUdpAndCompleteOverTcp() throws Exception {
        byte[] q = Message.newQuery(Record.newRecord(Name.fromString("tasks.many."), Type.A, DClass.IN)).toWire();
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(3000);
            s.send(new DatagramPacket(q, q.length, server.udpAddress()));
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            s.receive(p);
            assertTrue(p.getLength() <= 512, "UDP answer without EDNS is at most 512 bytes: " + p.getLength());
            Message m = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            assertTrue(m.getHeader().getFlag(Flags.TC));
        }
        assertEquals(100, addresses(query("tasks.many", Type.A, false, null)).size(), "the resolver retried over TCP");
        assertEquals(100, addresses(query("big.test", Type.A, false, null)).size(), "forwarded, truncated, retried");
        assertTrue(upstream.tcpQueries.get() >= 1);
    }

    @Test
    void malformedPacketsGetFormErrOrNothingAndTheServerGoesOn() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(500);
            byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x41};
            s.send(new DatagramPacket(garbage, garbage.length, server.udpAddress()));
            DatagramPacket p = new DatagramPacket(new byte[512], 512);
            s.receive(p);
            Message m = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            assertEquals(0x1234, m.getHeader().getID());
            assertEquals(Rcode.FORMERR, m.getRcode());
            byte[] tiny = {1, 2, 3};
            s.send(new DatagramPacket(tiny, tiny.length, server.udpAddress()));
            byte[] response = Message.newQuery(Record.newRecord(Name.fromString("x."), Type.A, DClass.IN)).toWire();
            response[2] |= (byte) 0x80; // QR: a response is never answered (no reflection loops)
            s.send(new DatagramPacket(response, response.length, server.udpAddress()));
            DatagramPacket none = new DatagramPacket(new byte[512], 512);
            SocketTimeoutException silent = null;
            try {
                s.receive(none);
            } catch (SocketTimeoutException e) {
                silent = e;
            }
            assertNotNull(silent, "no answer to a 3-byte packet or to a response");
        }
        assertEquals(List.of("172.32.0.2"), addresses(query("nodejs", Type.A, false, null)));
    }

    @Test
    void aStoppedTaskDisappearsFromAnswersAtOnce() throws Exception {
        NameTable t = serverTable();
        DnsServer s = new DnsServer(new DnsResponder(t, (q, tcp) -> java.util.concurrent.CompletableFuture.failedFuture(
                new IllegalStateException("no upstream")), 1, 16), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                DnsServer.Options.defaults());
        s.start();
        try {
            SimpleResolver r = new SimpleResolver(s.udpAddress());
            Message q = Message.newQuery(Record.newRecord(Name.fromString("tasks.nodejs."), Type.A, DClass.IN));
            assertEquals(2, r.send(q).getSection(Section.ANSWER).size());
            t.apply(Fixtures.event(2, io.flotilla.contracts.v1.Op.OP_UPDATE, obj(Fixtures.task("t2", "s1", "nodejs", 2,
                    io.flotilla.contracts.v1.TaskState.TASK_SHUTDOWN, io.flotilla.contracts.v1.TaskState.TASK_SHUTDOWN,
                    "n1=172.32.0.4/24"))));
            Message after = r.send(q);
            assertEquals(1, after.getSection(Section.ANSWER).size());
            Message viaUpstream = r.send(Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.A, DClass.IN)));
            assertEquals(Rcode.SERVFAIL, viaUpstream.getRcode());
        } finally {
            s.close();
        }
    }
}
