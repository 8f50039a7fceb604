package io.flotilla.network.ipam;

/** IPv4 addresses as ints (network byte order in the int's bits): parse, format, Docker's MAC. */
public final class Ip4 {
    private Ip4() {
    }

    public static int parse(String text) {
        String[] parts = text == null ? new String[0] : text.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IpamException("invalid IPv4 address: " + text);
        }
        int v = 0;
        for (String p : parts) {
            int b;
            try {
                b = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IpamException("invalid IPv4 address: " + text);
            }
            if (b < 0 || b > 255 || p.isEmpty() || p.length() > 3) {
                throw new IpamException("invalid IPv4 address: " + text);
            }
            v = (v << 8) | b;
        }
        return v;
    }

    /** The address part of "a.b.c.d/n" (or of a bare address). */
    public static int parseAddr(String cidrOrAddr) {
        int slash = cidrOrAddr.indexOf('/');
        return parse(slash < 0 ? cidrOrAddr : cidrOrAddr.substring(0, slash));
    }

    public static String format(int addr) {
        return ((addr >>> 24) & 0xff) + "." + ((addr >>> 16) & 0xff) + "." + ((addr >>> 8) & 0xff) + "." + (addr & 0xff);
    }

    /** Docker's MAC for an endpoint: 02:42 followed by the four address bytes. */
    public static String mac(int addr) {
        return String.format("02:42:%02x:%02x:%02x:%02x",
                (addr >>> 24) & 0xff, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff);
    }
}
