package io.flotilla.dns.server;

import io.flotilla.dns.view.Addresses;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Upstream resolvers: an explicit list ("ip[:port],..." or "[v6]:port"), or the host's resolv.conf. */
public final class ResolvConf {
    private ResolvConf() {
    }

    public static List<InetSocketAddress> parseList(String spec) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String item : spec.split("[,\\s]+")) {
            if (item.isBlank()) {
                continue;
            }
            String host = item;
            int port = 53;
            if (item.startsWith("[")) {
                int close = item.indexOf(']');
                host = item.substring(1, close);
                if (close + 1 < item.length() && item.charAt(close + 1) == ':') {
                    port = Integer.parseInt(item.substring(close + 2));
                }
            } else if (item.indexOf(':') == item.lastIndexOf(':') && item.indexOf(':') > 0) {
                host = item.substring(0, item.indexOf(':'));
                port = Integer.parseInt(item.substring(item.indexOf(':') + 1));
            }
            Optional<InetAddress> a = Addresses.parse(host);
            if (a.isEmpty()) {
                throw new IllegalArgumentException("not an address literal: " + item);
            }
            out.add(new InetSocketAddress(a.get(), port));
        }
        return out;
    }

    /** The nameservers of a resolv.conf, without 127.0.0.11 (that would be ourselves in a container). */
    public static List<InetSocketAddress> nameservers(Path resolvConf) {
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(resolvConf)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 2 && f[0].equals("nameserver")) {
                    Addresses.parse(f[1]).filter(a -> !a.getHostAddress().equals("127.0.0.11"))
                            .ifPresent(a -> out.add(new InetSocketAddress(a, 53)));
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }
}
