package io.flotilla.dns.feed;

import java.util.Optional;

/**
 * The store the name table is fed from: a manager's host and port, as configured or as the node-agent names it
 * in the store file ({@code flotilla.store.file}: a line {@code store=<host>:<port>}; no file, or no such line,
 * while this node is in no swarm). {@code version} is the file's whole text: the agent rewrites it (another
 * {@code identity=} line after this node's certificate was renewed) to have the feed connect again.
 */
record StoreTarget(String host, int port, String version) {

    /** The target a store file's text names; empty when it names none. A malformed line is an error. */
    static Optional<StoreTarget> parse(String text) {
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (!l.startsWith("store=")) {
                continue;
            }
            String addr = l.substring("store=".length());
            int colon = addr.lastIndexOf(':');
            if (colon <= 0 || colon == addr.length() - 1) {
                throw new IllegalArgumentException("not host:port: " + addr);
            }
            String host = addr.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(addr.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not host:port: " + addr);
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + addr);
            }
            return Optional.of(new StoreTarget(host, port, text));
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
