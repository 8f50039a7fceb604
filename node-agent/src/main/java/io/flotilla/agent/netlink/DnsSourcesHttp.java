package io.flotilla.agent.netlink;

import io.flotilla.agent.net.Dataplane;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Tells the node's dns-svc (its loopback REST endpoint) which docker_gwbridge address belongs to which task
 * (dns-svc/design/dns.md, "What the agent must do"). Fire and forget: dns-svc may not run yet.
 */
public final class DnsSourcesHttp implements Dataplane.DnsSources {

    private static final Logger LOG = Logger.getLogger(DnsSourcesHttp.class.getName());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private final String base;

    public DnsSourcesHttp(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    @Override
    public void register(String taskId, String address) {
        send(HttpRequest.newBuilder(URI.create(base + "/flotilla/v1/dns/sources/" + taskId))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"addresses\":[\"" + address + "\"]}")));
    }

    @Override
    public void unregister(String taskId) {
        send(HttpRequest.newBuilder(URI.create(base + "/flotilla/v1/dns/sources/" + taskId)).DELETE());
    }

    private void send(HttpRequest.Builder b) {
        http.sendAsync(b.timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
                .whenComplete((r, e) -> {
                    if (e != null) {
                        LOG.fine(() -> "dns-svc not told: " + e.getMessage());
                    }
                });
    }
}
