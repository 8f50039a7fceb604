package io.flotilla.agent.net;

import io.flotilla.contracts.v1.PublishedPortPlan;
import io.flotilla.contracts.v1.VipBackends;

import java.util.ArrayList;
import java.util.List;

/**
 * Round-robin with the kernel's IPVS, as Swarm does it: packets are marked by an nftables mangle chain
 * (per published port, or per VIP), one IPVS virtual service per firewall mark ({@code -s rr}), the
 * backends as masquerading real servers. The whole table is replaced with {@code ipvsadm -C} then
 * {@code ipvsadm -R}. Only unit-tested on the commands it produces: the kernel of the machine this was
 * built on has no ip_vs.
 */
public final class IpvsLoadBalancer implements LoadBalancer {

    public static final String MARK_TABLE = "flotilla_ipvs";
    /** Marks start here (Swarm starts its firewall marks at 256 too). */
    static final int FIRST_MARK = 0x100;

    @Override
    public String name() {
        return "ipvs";
    }

    @Override
    public List<Step> mesh(List<PublishedPortPlan> ports, String ingressInterface) {
        StringBuilder marks = new StringBuilder();
        StringBuilder ipvs = new StringBuilder();
        int mark = FIRST_MARK;
        for (PublishedPortPlan p : ports) {
            String proto = NftablesLoadBalancer.proto(p.getProtocol());
            if (proto == null) {
                continue;
            }
            marks.append("    ").append(proto).append(" dport ").append(p.getPublishedPort())
                    .append(" meta mark set ").append(mark).append('\n');
            ipvs.append("-A -f ").append(mark).append(" -s rr\n");
            for (String b : p.getBackendsList()) {
                ipvs.append("-a -f ").append(mark).append(" -r ").append(b).append(':').append(p.getTargetPort())
                        .append(" -m\n");
            }
            mark++;
        }
        String nft = markTable("prerouting", marks)
                + "table ip " + MARK_TABLE + " {\n  chain post {\n"
                + "    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    oifname \"" + ingressInterface + "\" meta mark != 0 masquerade\n  }\n}\n";
        return steps(nft, ipvs);
    }

    @Override
    public List<Step> vips(List<VipBackends> vips) {
        StringBuilder marks = new StringBuilder();
        StringBuilder ipvs = new StringBuilder();
        int mark = FIRST_MARK;
        for (VipBackends v : vips) {
            if (v.getVip().isEmpty()) {
                continue;
            }
            marks.append("    ip daddr ").append(v.getVip()).append(" meta mark set ").append(mark).append('\n');
            ipvs.append("-A -f ").append(mark).append(" -s rr\n");
            for (String b : v.getBackendsList()) {
                ipvs.append("-a -f ").append(mark).append(" -r ").append(b).append(":0 -m\n");
            }
            mark++;
        }
        return steps(markTable("output", marks), ipvs);
    }

    private static String markTable(String hook, StringBuilder marks) {
        return "table ip " + MARK_TABLE + "\ndelete table ip " + MARK_TABLE + "\n"
                + "table ip " + MARK_TABLE + " {\n  chain marking {\n    type filter hook " + hook
                + " priority mangle; policy accept;\n" + marks + "  }\n}\n";
    }

    private static List<Step> steps(String nft, StringBuilder ipvs) {
        List<Step> steps = new ArrayList<>();
        steps.add(new Step(List.of("nft", "-f", "-"), nft));
        steps.add(Step.of("ipvsadm", "-C"));
        steps.add(new Step(List.of("ipvsadm", "-R"), ipvs.toString()));
        return steps;
    }
}
