package io.flotilla.dns.server;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** On a fixed port each UDP receiver has its own socket: every client gets its answers, and the port stays ours. */
class ReusePortTest {

    @Test
    void receiversWithASocketEachAnswerEveryClientAndKeepThePort() throws Exception {
        int port;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        DnsResponder responder = new DnsResponder(DnsServerTest.serverTable(), new ForwardingUpstream(List.of(),
                Duration.ofMillis(300), Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "reuseport-callbacks");
                    t.setDaemon(true);
                    return t;
                })), 1, 16);
        InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        try (DnsServer server = new DnsServer(responder, at, new DnsServer.Options(3, 4, 1000, 1000))) {
            server.start();
            assertEquals(port, server.udpAddress().getPort());
            for (int client = 0; client < 24; client++) { // a new source port each: spread over the sockets
                SimpleResolver r = new SimpleResolver(at);
                r.setTimeout(Duration.ofSeconds(5));
                Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString("nodejs", Name.root), Type.A,
                        DClass.IN)));
                assertEquals(Rcode.NOERROR, m.getRcode());
                assertEquals(List.of("172.32.0.2"), m.getSection(Section.ANSWER).stream()
                        .map(rec -> ((ARecord) rec).getAddress().getHostAddress()).toList());
            }
            // another server cannot take the port, with or without SO_REUSEPORT of its own
            assertThrows(IOException.class, () -> new DatagramSocket(at).close());
            DnsServer second = new DnsServer(responder, at, new DnsServer.Options(2, 4, 1000, 1000));
            assertThrows(IOException.class, second::start);
        }
    }
}
