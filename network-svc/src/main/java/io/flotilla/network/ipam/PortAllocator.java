package io.flotilla.network.ipam;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Published ports of the routing mesh, per protocol: a port is published by one service at most;
 * a port left at 0 gets the lowest free one of the dynamic range 30000-32767, as Swarm's.
 */
public final class PortAllocator {
    public static final int DYNAMIC_FIRST = 30000;
    public static final int DYNAMIC_LAST = 32767;

    private final Map<String, BitSet> used = new HashMap<>();
    private final int dynamicFirst;
    private final int dynamicLast;

    public PortAllocator() {
        this(DYNAMIC_FIRST, DYNAMIC_LAST);
    }

    public PortAllocator(int dynamicFirst, int dynamicLast) {
        this.dynamicFirst = dynamicFirst;
        this.dynamicLast = dynamicLast;
    }

    private BitSet of(String protocol) {
        return used.computeIfAbsent(protocol == null || protocol.isEmpty() ? "tcp" : protocol, p -> new BitSet());
    }

    public boolean isAllocated(String protocol, int port) {
        return of(protocol).get(port);
    }

    /** Claims an explicit port; false if it is out of range or taken. */
    public boolean claim(String protocol, int port) {
        if (port <= 0 || port > 65535 || of(protocol).get(port)) {
            return false;
        }
        of(protocol).set(port);
        return true;
    }

    public int allocate(String protocol) {
        BitSet b = of(protocol);
        int p = b.nextClearBit(dynamicFirst);
        if (p > dynamicLast) {
            throw new IpamException("could not find an available port in the dynamic range " + dynamicFirst + "-"
                    + dynamicLast + " for protocol " + (protocol.isEmpty() ? "tcp" : protocol));
        }
        b.set(p);
        return p;
    }

    public void release(String protocol, int port) {
        if (port > 0) {
            of(protocol).clear(port);
        }
    }
}
