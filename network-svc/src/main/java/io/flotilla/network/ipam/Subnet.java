package io.flotilla.network.ipam;

/** An IPv4 prefix, "10.0.1.0/24": the base address (host bits zero) and the prefix length. */
public record Subnet(int base, int prefix) {

    public Subnet {
        if (prefix < 0 || prefix > 32) {
            throw new IpamException("invalid prefix length " + prefix);
        }
        base = base & mask(prefix);
    }

    /** Parses "a.b.c.d/n"; host bits are refused, as Docker refuses them ("invalid subnet"). */
    public static Subnet parse(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) {
            throw new IpamException("invalid CIDR address: " + cidr);
        }
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IpamException("invalid CIDR address: " + cidr);
        }
        if (prefix < 0 || prefix > 32) {
            throw new IpamException("invalid CIDR address: " + cidr);
        }
        int addr = Ip4.parse(cidr.substring(0, slash));
        return new Subnet(addr, prefix);
    }

    static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** Number of addresses, network and broadcast included. */
    public long size() {
        return 1L << (32 - prefix);
    }

    public boolean contains(int addr) {
        return (addr & mask(prefix)) == base;
    }

    public boolean overlaps(Subnet other) {
        int p = Math.min(prefix, other.prefix);
        return (base & mask(p)) == (other.base & mask(p));
    }

    /** The address at this offset from the base (offset 1 is the first host, Docker's default gateway). */
    public int at(long offset) {
        return (int) (Integer.toUnsignedLong(base) + offset);
    }

    public long offsetOf(int addr) {
        return Integer.toUnsignedLong(addr) - Integer.toUnsignedLong(base);
    }

    /** "a.b.c.d/n" of an address within this subnet (Docker's CIDR form of an endpoint address). */
    public String cidrOf(int addr) {
        return Ip4.format(addr) + "/" + prefix;
    }

    @Override
    public String toString() {
        return Ip4.format(base) + "/" + prefix;
    }
}
