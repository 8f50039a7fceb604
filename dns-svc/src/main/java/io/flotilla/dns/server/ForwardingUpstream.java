package io.flotilla.dns.server;

import org.xbill.DNS.Message;
import org.xbill.DNS.SimpleResolver;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Forwards to the upstream resolvers in order (the next one when one fails or times out), over UDP with
 * dnsjava's TCP retry for truncated answers, or over TCP when the client asked over TCP. The whole
 * forward completes within the timeout, exceptionally when no upstream answered.
 */
public final class ForwardingUpstream implements Upstream {
    private final List<InetSocketAddress> servers;
    private final Duration timeout;
    private final Executor executor;
    private final SecureRandom random = new SecureRandom();

    public ForwardingUpstream(List<InetSocketAddress> servers, Duration timeout, Executor executor) {
        this.servers = List.copyOf(servers);
        this.timeout = timeout;
        this.executor = executor;
    }

    public List<InetSocketAddress> servers() {
        return servers;
    }

    @Override
    public CompletionStage<Message> forward(Message query, boolean tcp) {
        if (servers.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalStateException("no upstream resolver configured"));
        }
        Message q = query.clone();
        q.getHeader().setID(random.nextInt(0x10000));
        Duration perTry = timeout.dividedBy(servers.size());
        return attempt(q, tcp, 0, perTry).toCompletableFuture()
                .orTimeout(timeout.toMillis() + 50, TimeUnit.MILLISECONDS);
    }

    private CompletionStage<Message> attempt(Message q, boolean tcp, int i, Duration perTry) {
        SimpleResolver r = new SimpleResolver(servers.get(i));
        r.setTCP(tcp);
        r.setTimeout(perTry);
        CompletionStage<Message> stage = r.sendAsync(q, executor);
        if (i + 1 >= servers.size()) {
            return stage;
        }
        return stage.handle((m, e) -> e == null ? CompletableFuture.completedFuture(m) : attempt(q, tcp, i + 1, perTry))
                .thenCompose(s -> s);
    }
}
