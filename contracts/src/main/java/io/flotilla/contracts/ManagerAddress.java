package io.flotilla.contracts;

/** The managers' port (store, dispatcher and CA: swarm's cluster-management port) and the address on it. */
public final class ManagerAddress {
    public static final int PORT = 2377;

    private ManagerAddress() {
    }

    /** host:2377, or "" for an unknown host (""). */
    public static String of(String host) {
        return host == null || host.isEmpty() ? "" : host + ":" + PORT;
    }

    /** A manager's address: the host (an IPv6 one without brackets) and the port. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * "host", "host:port" or "[v6]:port" as a user or a node gives it; without a port, {@code defaultPort}, or an
     * error when that is 0. An empty host or a port that is not a number in 1..65535 is an error.
     */
    public static HostPort parse(String addr, int defaultPort) {
        String host = addr;
        int port = defaultPort;
        int colon = addr.lastIndexOf(':');
        if (colon > 0 && addr.indexOf(']') < colon) {
            host = addr.substring(0, colon);
            try {
                port = Integer.parseInt(addr.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not host:port: " + addr);
            }
        } else if (defaultPort == 0) {
            throw new IllegalArgumentException("not host:port: " + addr);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("not host:port: " + addr);
        }
        return new HostPort(host, port);
    }
}
