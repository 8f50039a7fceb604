package io.flotilla.dns.feed;

import io.flotilla.contracts.ManagerAddress;

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
            ManagerAddress.HostPort addr = ManagerAddress.parse(l.substring("store=".length()), 0);
            return Optional.of(new StoreTarget(addr.host(), addr.port(), text));
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return new ManagerAddress.HostPort(host, port).toString();
    }
}
