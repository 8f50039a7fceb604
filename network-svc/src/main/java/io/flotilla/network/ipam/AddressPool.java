package io.flotilla.network.ipam;

import java.util.BitSet;

/**
 * The addresses of one network's subnet. The network and broadcast addresses (for prefixes up to /30) and
 * the gateway are never handed out. Allocation is serial, as libnetwork's for overlay networks: the next
 * free address after the last one handed out, wrapping, so that a released address is not reused at once
 * (stale ARP and conntrack entries elsewhere).
 */
public final class AddressPool {
    private final Subnet subnet;
    private final int gateway;
    private final BitSet used = new BitSet();
    private final long first;
    private final long last;
    private long next;

    public AddressPool(Subnet subnet, int gateway) {
        if (subnet.prefix() < 8) {
            throw new IpamException("subnet " + subnet + " is too large (at most /8)");
        }
        if (!subnet.contains(gateway)) {
            throw new IpamException("gateway " + Ip4.format(gateway) + " is not in subnet " + subnet);
        }
        this.subnet = subnet;
        this.gateway = gateway;
        boolean tiny = subnet.prefix() >= 31;
        this.first = tiny ? 0 : 1;
        this.last = tiny ? subnet.size() - 1 : subnet.size() - 2;
        this.next = first;
        used.set((int) subnet.offsetOf(gateway));
    }

    public Subnet subnet() {
        return subnet;
    }

    public int gateway() {
        return gateway;
    }

    public boolean isAllocated(int addr) {
        return subnet.contains(addr) && used.get((int) subnet.offsetOf(addr));
    }

    /** Claims a given address; false if it is outside the subnet, reserved or taken. */
    public boolean claim(int addr) {
        if (!subnet.contains(addr)) {
            return false;
        }
        long off = subnet.offsetOf(addr);
        if (off < first || off > last || used.get((int) off)) {
            return false;
        }
        used.set((int) off);
        return true;
    }

    /** The next free address; throws when none is left. */
    public int allocate() {
        long span = last - first + 1;
        for (long i = 0; i < span; i++) {
            long off = first + Math.floorMod(next - first + i, span);
            if (!used.get((int) off)) {
                used.set((int) off);
                next = off + 1 > last ? first : off + 1;
                return subnet.at(off);
            }
        }
        throw new IpamException("could not find an available IP while allocating VIP/address in network subnet "
                + subnet + ": address pool exhausted");
    }

    /** Releases an address (idempotent); the gateway stays reserved. */
    public void release(int addr) {
        if (!subnet.contains(addr) || addr == gateway) {
            return;
        }
        used.clear((int) subnet.offsetOf(addr));
    }

    /** Addresses in use, the gateway included. */
    public int inUse() {
        return used.cardinality();
    }
}
