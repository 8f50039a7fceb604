package io.flotilla.network.ipam;

import java.util.ArrayList;
import java.util.List;

/**
 * The subnets of every network in the cluster, and the default address pool (10.0.0.0/8 cut into /24s,
 * Docker's default for swarm) that a network created without --subnet takes the first free /24 from:
 * one that overlaps no existing network's subnet (given ones and 10.255.0.0/16 of ingress included).
 */
public final class SubnetPool {
    private final Subnet pool;
    private final int size;
    private final List<Subnet> taken = new ArrayList<>();

    public SubnetPool() {
        this(Subnet.parse("10.0.0.0/8"), 24);
    }

    public SubnetPool(Subnet pool, int size) {
        this.pool = pool;
        this.size = size;
    }

    public boolean isAllocated(Subnet s) {
        return taken.contains(s);
    }

    /** The first taken subnet that overlaps {@code s}, or null. */
    public Subnet overlapping(Subnet s) {
        for (Subnet t : taken) {
            if (t.overlaps(s)) {
                return t;
            }
        }
        return null;
    }

    /** Claims a given subnet; throws libnetwork's error when it overlaps one already taken. */
    public void claim(Subnet s) {
        if (taken.contains(s)) {
            throw new IpamException("invalid pool request: Pool overlaps with other one on this address space");
        }
        if (overlapping(s) != null) {
            throw new IpamException("invalid pool request: Pool overlaps with other one on this address space");
        }
        taken.add(s);
    }

    public Subnet allocate() {
        long count = 1L << (size - pool.prefix());
        long step = 1L << (32 - size);
        for (long i = 0; i < count; i++) {
            Subnet candidate = new Subnet(pool.at(i * step), size);
            if (overlapping(candidate) == null) {
                taken.add(candidate);
                return candidate;
            }
        }
        throw new IpamException("could not find an available, non-overlapping IPv4 address pool among the defaults"
                + " to assign to the network");
    }

    public void release(Subnet s) {
        taken.remove(s);
    }
}
