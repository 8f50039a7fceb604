package io.flotilla.dns.view;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/** Address literals as the store writes them ("10.0.1.5/24" or a bare address); never a name lookup. */
public final class Addresses {
    private Addresses() {
    }

    /** The address of a CIDR or plain literal; empty when it is not an IPv4/IPv6 literal. */
    public static Optional<InetAddress> parse(String cidrOrAddress) {
        if (cidrOrAddress == null) {
            return Optional.empty();
        }
        String s = cidrOrAddress.trim();
        int slash = s.indexOf('/');
        if (slash >= 0) {
            s = s.substring(0, slash);
        }
        if (s.isEmpty()) {
            return Optional.empty();
        }
        boolean v6 = s.indexOf(':') >= 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || c == '.' || (v6 && (c == ':' || (c >= 'a' && c <= 'f')
                    || (c >= 'A' && c <= 'F')));
            if (!ok) {
                return Optional.empty(); // a name, or a zone id: never resolved here
            }
        }
        if (!v6 && s.chars().filter(c -> c == '.').count() != 3) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(s));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
