package io.flotilla.agent.net;

import io.flotilla.contracts.v1.PublishedPortPlan;
import io.flotilla.contracts.v1.VipBackends;

import java.util.List;
import java.util.Locale;

/**
 * Round-robin with nftables: per service a {@code numgen inc mod N} map over its backends in a nat chain
 * (prerouting in ingress_sbox, plus masquerade towards the ingress network; output in a task's namespace).
 * Each script declares, deletes and re-creates its table, so one {@code nft -f} replaces the old rules
 * atomically.
 */
public final class NftablesLoadBalancer implements LoadBalancer {

    public static final String MESH_TABLE = "flotilla_mesh";
    public static final String VIP_TABLE = "flotilla_lb";

    @Override
    public String name() {
        return "nftables";
    }

    @Override
    public List<Step> mesh(List<PublishedPortPlan> ports, String ingressInterface) {
        StringBuilder rules = new StringBuilder();
        for (PublishedPortPlan p : ports) {
            String proto = proto(p.getProtocol());
            if (proto == null || p.getBackendsCount() == 0) {
                continue;   // nothing to send it to: the sandbox itself answers with a reset
            }
            rules.append("    ").append(proto).append(" dport ").append(p.getPublishedPort())
                    .append(" dnat ip to ");
            if (p.getBackendsCount() == 1) {
                rules.append(p.getBackends(0)).append(':').append(p.getTargetPort());
            } else {
                rules.append("numgen inc mod ").append(p.getBackendsCount()).append(" map { ");
                for (int i = 0; i < p.getBackendsCount(); i++) {
                    rules.append(i == 0 ? "" : ", ").append(i).append(" : ").append(p.getBackends(i))
                            .append(" . ").append(p.getTargetPort());
                }
                rules.append(" }");
            }
            rules.append('\n');
        }
        String script = "table ip " + MESH_TABLE + "\ndelete table ip " + MESH_TABLE + "\n"
                + "table ip " + MESH_TABLE + " {\n"
                + "  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n" + rules + "  }\n"
                + "  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    oifname \"" + ingressInterface + "\" ct status dnat masquerade\n  }\n}\n";
        return List.of(new Step(List.of("nft", "-f", "-"), script));
    }

    @Override
    public List<Step> vips(List<VipBackends> vips) {
        StringBuilder rules = new StringBuilder();
        for (VipBackends v : vips) {
            if (v.getVip().isEmpty() || v.getBackendsCount() == 0) {
                continue;
            }
            rules.append("    ip daddr ").append(v.getVip()).append(" dnat to ");
            if (v.getBackendsCount() == 1) {
                rules.append(v.getBackends(0));
            } else {
                rules.append("numgen inc mod ").append(v.getBackendsCount()).append(" map { ");
                for (int i = 0; i < v.getBackendsCount(); i++) {
                    rules.append(i == 0 ? "" : ", ").append(i).append(" : ").append(v.getBackends(i));
                }
                rules.append(" }");
            }
            rules.append('\n');
        }
        String script = "table ip " + VIP_TABLE + "\ndelete table ip " + VIP_TABLE + "\n"
                + "table ip " + VIP_TABLE + " {\n"
                + "  chain out {\n    type nat hook output priority -100; policy accept;\n" + rules + "  }\n}\n";
        return List.of(new Step(List.of("nft", "-f", "-"), script));
    }

    static String proto(String protocol) {
        String p = protocol.isEmpty() ? "tcp" : protocol.toLowerCase(Locale.ROOT);
        return switch (p) {
            case "tcp", "udp", "sctp" -> p;
            default -> null;
        };
    }
}
