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
}
