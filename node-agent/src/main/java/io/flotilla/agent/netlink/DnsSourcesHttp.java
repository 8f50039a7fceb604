package io.flotilla.agent.netlink;

import io.flotilla.agent.net.Dataplane;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Tells the node's dns-svc (its loopback REST endpoint) which docker_gwbridge address belongs to which task
 * (dns-svc/design/dns.md, "What the agent must do"). dns-svc may start after the tasks or restart: the
 * whole map is sent again every second until one send succeeds after a change or a failure, and every
 * {@code resyncSeconds} anyway.
 */
public final class DnsSourcesHttp implements Dataplane.DnsSources, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DnsSourcesHttp.class.getName());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private final String base;
    private final Map<String, String> sources = new ConcurrentHashMap<>();
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dns-sources");
        t.setDaemon(true);
        return t;
    });
    private long lastFullMs;

    public DnsSourcesHttp(String base, int resyncSeconds) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        timer.scheduleWithFixedDelay(() -> {
            if (dirty.get() || System.currentTimeMillis() - lastFullMs > resyncSeconds * 1000L) {
                sendAll();
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void register(String taskId, String address) {
        sources.put(taskId, address);
        send(HttpRequest.newBuilder(URI.create(base + "/flotilla/v1/dns/sources/" + taskId))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"addresses\":[\"" + address + "\"]}")));
    }

    @Override
    public void unregister(String taskId) {
        sources.remove(taskId);
        send(HttpRequest.newBuilder(URI.create(base + "/flotilla/v1/dns/sources/" + taskId)).DELETE());
    }

    private void send(HttpRequest.Builder b) {
        http.sendAsync(b.timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
                .whenComplete((r, e) -> {
                    if (e != null || r.statusCode() >= 300) {
                        dirty.set(true);
                    }
                });
    }

    private void sendAll() {
        StringBuilder body = new StringBuilder("{");
        new TreeMap<>(sources).forEach((task, addr) -> body.append(body.length() > 1 ? "," : "").append('"')
                .append(task).append("\":[\"").append(addr).append("\"]"));
        body.append('}');
        dirty.set(false);
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + "/flotilla/v1/dns/sources"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(2))
                    .PUT(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() >= 300) {
                dirty.set(true);
            }
            lastFullMs = System.currentTimeMillis();
        } catch (Exception e) {
            dirty.set(true);
            LOG.fine(() -> "dns-svc not reachable: " + e.getMessage());
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
