package io.flotilla.agent.net;

import io.flotilla.contracts.v1.PublishedPortPlan;

import java.util.List;
import java.util.TreeSet;

/** The nftables rules the dataplane writes besides the load balancer's (one table each, replaced whole). */
public final class NftScripts {

    public static final String HOST_TABLE = "flotilla_ingress";
    public static final String DNS_TABLE = "flotilla_dns";

    private NftScripts() {
    }

    /**
     * On the host: every port published on the routing mesh, arriving for one of the host's own addresses
     * (from outside, or from the host itself), goes to ingress_sbox on docker_gwbridge, port unchanged.
     * The overlays' VXLAN datagrams (UDP to 4789, both ways) are not tracked: nothing NATs or filters them
     * by state, and each would otherwise cost a conntrack lookup on the sending and on the receiving host.
     */
    public static String hostPorts(List<PublishedPortPlan> ports) {
        TreeSet<String> matches = new TreeSet<>();
        for (PublishedPortPlan p : ports) {
            String proto = NftablesLoadBalancer.proto(p.getProtocol());
            if (proto != null && p.getPublishedPort() > 0) {
                matches.add(proto + " dport " + p.getPublishedPort());
            }
        }
        StringBuilder pre = new StringBuilder();
        StringBuilder out = new StringBuilder();
        for (String m : matches) {
            pre.append("    fib daddr type local ").append(m).append(" dnat to ").append(NetNames.SBOX_GW_ADDRESS)
                    .append('\n');
            out.append("    ip daddr != 127.0.0.0/8 fib daddr type local ").append(m).append(" dnat to ")
                    .append(NetNames.SBOX_GW_ADDRESS).append('\n');
        }
        return "table ip " + HOST_TABLE + "\ndelete table ip " + HOST_TABLE + "\n"
                + "table ip " + HOST_TABLE + " {\n"
                + "  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n" + pre + "  }\n"
                + "  chain out {\n    type nat hook output priority -100; policy accept;\n" + out + "  }\n"
                + "  chain vxlan_in {\n    type filter hook prerouting priority raw; policy accept;\n"
                + "    udp dport " + NetNames.VXLAN_PORT + " notrack\n  }\n"
                + "  chain vxlan_out {\n    type filter hook output priority raw; policy accept;\n"
                + "    udp dport " + NetNames.VXLAN_PORT + " notrack\n  }\n}\n";
    }

    /**
     * In a task's namespace: its resolver's queries to 127.0.0.11:53 (UDP and TCP) go to the node's dns-svc
     * at {@code dnsAddress}:53, leaving through the docker_gwbridge interface with that interface's address
     * (dns-svc knows the task by it). Priority -150: before the rule dockerd puts there for its own resolver.
     */
    public static String dnsRedirect(String dnsAddress) {
        return "table ip " + DNS_TABLE + "\ndelete table ip " + DNS_TABLE + "\n"
                + "table ip " + DNS_TABLE + " {\n"
                + "  chain out {\n    type nat hook output priority -150; policy accept;\n"
                + "    ip daddr " + NetNames.EMBEDDED_DNS + " udp dport 53 dnat to " + dnsAddress + ":53\n"
                + "    ip daddr " + NetNames.EMBEDDED_DNS + " tcp dport 53 dnat to " + dnsAddress + ":53\n  }\n"
                + "  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    ip daddr " + dnsAddress + " meta l4proto { tcp, udp } th dport 53 masquerade\n  }\n}\n";
    }
}
