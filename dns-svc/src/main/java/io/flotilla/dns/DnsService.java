package io.flotilla.dns;

import io.flotilla.dns.feed.NameTableFeed;
import io.flotilla.dns.server.DnsResponder;
import io.flotilla.dns.server.DnsServer;
import io.flotilla.dns.server.ForwardingUpstream;
import io.flotilla.dns.server.ResolvConf;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Starts the DNS listener (UDP and TCP) on flotilla.dns.listen, answering from the feed's name table. */
@ApplicationScoped
public class DnsService {
    private static final Logger LOG = Logger.getLogger(DnsService.class);

    @Inject
    NameTableFeed feed;

    @ConfigProperty(name = "flotilla.dns.listen", defaultValue = "0.0.0.0:53")
    String listen;

    @ConfigProperty(name = "flotilla.dns.upstream")
    Optional<String> upstreamList;

    @ConfigProperty(name = "flotilla.dns.resolv-conf", defaultValue = "/etc/resolv.conf")
    String resolvConf;

    @ConfigProperty(name = "flotilla.dns.upstream-timeout", defaultValue = "2s")
    Duration upstreamTimeout;

    @ConfigProperty(name = "flotilla.dns.ttl", defaultValue = "1")
    long ttl;

    @ConfigProperty(name = "flotilla.dns.udp-threads", defaultValue = "2")
    int udpThreads;

    private ExecutorService callbacks;
    private DnsServer server;
    private DnsResponder responder;

    void start(@Observes StartupEvent event) {
        List<InetSocketAddress> upstreams = upstreamList.filter(s -> !s.isBlank()).map(ResolvConf::parseList)
                .orElseGet(() -> ResolvConf.nameservers(Path.of(resolvConf)));
        callbacks = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "dns-upstream");
            t.setDaemon(true);
            return t;
        });
        responder = new DnsResponder(feed.table(), new ForwardingUpstream(upstreams, upstreamTimeout, callbacks), ttl,
                1024);
        InetSocketAddress address = ResolvConf.parseList(listen).get(0);
        DnsServer.Options defaults = DnsServer.Options.defaults();
        server = new DnsServer(responder, address, new DnsServer.Options(udpThreads, defaults.maxTcpConnections(),
                defaults.tcpIdleMillis(), upstreamTimeout.toMillis() + 1000));
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address, e);
        }
        LOG.infof("DNS on %s (udp+tcp), upstream %s, timeout %d ms", server.udpAddress(), upstreams,
                upstreamTimeout.toMillis());
    }

    void stop(@Observes ShutdownEvent event) {
        if (server != null) {
            server.close();
        }
        if (callbacks != null) {
            callbacks.shutdownNow();
        }
    }

    public DnsServer server() {
        return server;
    }

    public DnsResponder responder() {
        return responder;
    }
}
