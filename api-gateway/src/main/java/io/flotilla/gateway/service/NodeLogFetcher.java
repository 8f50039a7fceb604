package io.flotilla.gateway.service;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;

/**
 * Reads a container's log from the Docker API endpoint of the node that runs it
 * ({@code http://<node addr>:<port>/containers/<id>/logs}). Connecting is given a short timeout so
 * that a node that is gone costs at most that; reading has none when following.
 */
public final class NodeLogFetcher implements TaskLogs.Fetcher {
    private final int port;
    private final int connectTimeoutMs;
    private final int readTimeoutMs;

    public NodeLogFetcher(int port, int connectTimeoutMs, int readTimeoutMs) {
        this.port = port;
        this.connectTimeoutMs = connectTimeoutMs;
        this.readTimeoutMs = readTimeoutMs;
    }

    @Override
    public InputStream open(TaskLogs.Source source, TaskLogs.Options options) throws IOException {
        String host = source.nodeAddr();
        if (host.contains(":") && !host.startsWith("[")) {
            host = host.chars().filter(c -> c == ':').count() == 1 ? host.substring(0, host.indexOf(':')) : "[" + host + "]";
        }
        URI uri = URI.create("http://" + host + ":" + port + "/containers/" + source.containerId() + "/logs?"
                + options.containerQuery());
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setConnectTimeout(connectTimeoutMs);
        c.setReadTimeout(options.follow() ? 0 : readTimeoutMs);
        int status = c.getResponseCode();
        if (status != 200) {
            c.disconnect();
            throw new IOException("logs of " + source.containerId() + " on " + host + ": HTTP " + status);
        }
        return c.getInputStream();
    }
}
