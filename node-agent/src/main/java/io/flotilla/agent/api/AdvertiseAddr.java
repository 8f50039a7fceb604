package io.flotilla.agent.api;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * Resolves the address a node advertises, as dockerd does for --advertise-addr: an interface name (its one
 * IPv4 address), an IP, either with an optional port; empty means the listen address if it names one IP,
 * else the configured default.
 */
final class AdvertiseAddr {

    /** An address without port, and the port (2377 unless given). */
    record Resolved(String host, int port) {
        String hostPort() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    static final class BadAddress extends Exception {
        BadAddress(String message) {
            super(message);
        }
    }

    static final String BAD = "advertise address must be a non-zero IP address or network interface (with "
            + "optional port number)";

    private AdvertiseAddr() {
    }

    static Resolved resolve(String advertise, String listen, String fallback) throws BadAddress {
        return resolve(advertise, listen, fallback, AdvertiseAddr::interfaceAddresses);
    }

    /** interfaces: the IPv4 addresses of an interface by name, or null when there is no such interface. */
    static Resolved resolve(String advertise, String listen, String fallback,
                            Function<String, List<String>> interfaces) throws BadAddress {
        if (advertise != null && !advertise.isBlank()) {
            return resolveOne(advertise.trim(), interfaces, true);
        }
        int listenPort = 2377;
        if (listen != null && !listen.isBlank()) {
            Resolved l = resolveOne(listen.trim(), interfaces, false);
            listenPort = l.port();
            if (!isUnspecified(l.host())) {
                return l;
            }
        }
        Resolved f = resolveOne(fallback, interfaces, true);
        return new Resolved(f.host(), listenPort);
    }

    private static Resolved resolveOne(String spec, Function<String, List<String>> interfaces, boolean advertise)
            throws BadAddress {
        String host = spec;
        int port = 2377;
        if (spec.startsWith("[")) {
            int close = spec.indexOf(']');
            if (close < 0) {
                throw new BadAddress(BAD);
            }
            host = spec.substring(1, close);
            if (spec.length() > close + 1) {
                if (spec.charAt(close + 1) != ':') {
                    throw new BadAddress(BAD);
                }
                port = port(spec.substring(close + 2));
            }
        } else if (spec.indexOf(':') >= 0 && spec.indexOf(':') == spec.lastIndexOf(':')) {
            int colon = spec.indexOf(':');
            host = spec.substring(0, colon);
            port = port(spec.substring(colon + 1));
        }
        if (host.isEmpty()) {
            host = "0.0.0.0";
        }
        if (isIpLiteral(host)) {
            if (advertise && isUnspecified(host)) {
                throw new BadAddress(BAD);
            }
            return new Resolved(host, port);
        }
        List<String> addrs = interfaces.apply(host);
        if (addrs == null) {
            throw new BadAddress(advertise ? BAD : "listen address must be an IP address or network interface "
                    + "(with optional port number)");
        }
        if (addrs.isEmpty()) {
            throw new BadAddress("interface " + host + " has no usable IPv4 address");
        }
        if (addrs.size() > 1) {
            throw new BadAddress("interface " + host + " has more than one IPv4 address (" + addrs.get(0)
                    + " and " + addrs.get(1) + ")");
        }
        return new Resolved(addrs.get(0), port);
    }

    private static int port(String s) throws BadAddress {
        try {
            int p = Integer.parseInt(s);
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new BadAddress("invalid port: " + s);
        }
    }

    static boolean isIpLiteral(String s) {
        if (s.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            for (String part : s.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return false;
                }
            }
            return true;
        }
        return s.contains(":") && s.matches("[0-9a-fA-F:.]+");
    }

    static boolean isUnspecified(String ip) {
        return ip.equals("0.0.0.0") || ip.equals("::");
    }

    private static List<String> interfaceAddresses(String name) {
        try {
            NetworkInterface nif = NetworkInterface.getByName(name);
            if (nif == null) {
                return null;
            }
            List<String> out = new ArrayList<>();
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
                    out.add(a.getHostAddress());
                }
            }
            return out;
        } catch (SocketException e) {
            return null;
        }
    }
}
