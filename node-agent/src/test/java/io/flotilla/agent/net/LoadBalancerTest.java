package io.flotilla.agent.net;

import io.flotilla.agent.netlink.ProcessShell;
import io.flotilla.contracts.v1.PublishedPortPlan;
import io.flotilla.contracts.v1.VipBackends;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules each load-balancer driver writes. Where nft is installed and the test runs as root, every
 * script is also checked by nft itself ({@code nft -c}, in a namespace of its own: nothing is applied).
 */
class LoadBalancerTest {

    private static final PublishedPortPlan WEB = PublishedPortPlan.newBuilder().setServiceId("s1").setProtocol("tcp")
            .setPublishedPort(80).setTargetPort(8080).setVip("10.255.0.2")
            .addBackends("10.255.0.5").addBackends("10.255.0.8").build();
    private static final PublishedPortPlan DNS = PublishedPortPlan.newBuilder().setServiceId("s2").setProtocol("udp")
            .setPublishedPort(5353).setTargetPort(53).addBackends("10.255.0.9").build();
    private static final PublishedPortPlan NOBODY = PublishedPortPlan.newBuilder().setServiceId("s3")
            .setProtocol("tcp").setPublishedPort(81).setTargetPort(8080).build();
    private static final VipBackends VIP = VipBackends.newBuilder().setServiceId("s1").setNetworkId("n1")
            .setVip("172.30.0.2").addBackends("172.30.0.3").addBackends("172.30.0.4").addBackends("172.30.0.5")
            .build();

    @Test
    void nftablesMeshRoundRobinsEachPublishedPortToTheTargetPortAndMasqueradesTowardsIngress() {
        List<Step> steps = new NftablesLoadBalancer().mesh(List.of(WEB, DNS, NOBODY), "eth0");
        assertEquals(1, steps.size());
        assertEquals(List.of("nft", "-f", "-"), steps.get(0).argv());
        String s = steps.get(0).stdin();
        assertTrue(s.contains("tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : 10.255.0.5 . 8080, 1 : 10.255.0.8 . 8080 }"), s);
        assertTrue(s.contains("udp dport 5353 dnat ip to 10.255.0.9:53"), s);
        assertFalse(s.contains("dport 81"), "a port without backends gets no rule: " + s);
        assertTrue(s.contains("oifname \"eth0\" ct status dnat masquerade"), s);
        assertTrue(s.startsWith("table ip flotilla_mesh\ndelete table ip flotilla_mesh\n"), "replaced whole: " + s);
        nftAccepts(s);
    }

    @Test
    void nftablesVipsSendEachVipToItsBackendsInTurnAndSkipEmptySets() {
        VipBackends empty = VipBackends.newBuilder().setServiceId("s9").setNetworkId("n1").setVip("172.30.0.9").build();
        VipBackends one = VipBackends.newBuilder().setServiceId("s8").setNetworkId("n1").setVip("172.30.0.7")
                .addBackends("172.30.0.8").build();
        String s = new NftablesLoadBalancer().vips(List.of(VIP, empty, one)).get(0).stdin();
        assertTrue(s.contains("ip daddr 172.30.0.2 dnat to numgen inc mod 3 map { 0 : 172.30.0.3, 1 : 172.30.0.4, 2 : 172.30.0.5 }"), s);
        assertTrue(s.contains("ip daddr 172.30.0.7 dnat to 172.30.0.8\n"), s);
        assertFalse(s.contains("172.30.0.9"), s);
        assertTrue(s.contains("type nat hook output"), s);
        nftAccepts(s);
        nftAccepts(new NftablesLoadBalancer().vips(List.of()).get(0).stdin());
    }

    @Test
    void ipvsMarksEachServiceAndReplacesTheWholeIpvsTable() {
        List<Step> steps = new IpvsLoadBalancer().mesh(List.of(WEB, DNS), "eth0");
        assertEquals(3, steps.size());
        String nft = steps.get(0).stdin();
        assertTrue(nft.contains("tcp dport 80 meta mark set 256"), nft);
        assertTrue(nft.contains("udp dport 5353 meta mark set 257"), nft);
        assertTrue(nft.contains("oifname \"eth0\" meta mark != 0 masquerade"), nft);
        assertEquals(List.of("ipvsadm", "-C"), steps.get(1).argv());
        assertEquals(List.of("ipvsadm", "-R"), steps.get(2).argv());
        assertEquals("-A -f 256 -s rr\n-a -f 256 -r 10.255.0.5:8080 -m\n-a -f 256 -r 10.255.0.8:8080 -m\n"
                + "-A -f 257 -s rr\n-a -f 257 -r 10.255.0.9:53 -m\n", steps.get(2).stdin());
        nftAccepts(nft);

        List<Step> vips = new IpvsLoadBalancer().vips(List.of(VIP));
        assertTrue(vips.get(0).stdin().contains("ip daddr 172.30.0.2 meta mark set 256"), vips.get(0).stdin());
        assertTrue(vips.get(2).stdin().contains("-a -f 256 -r 172.30.0.4:0 -m\n"), vips.get(2).stdin());
        nftAccepts(vips.get(0).stdin());
    }

    @Test
    void driverFollowsTheKernel() {
        assertEquals("ipvs", LoadBalancer.forKernel(true).name());
        assertEquals("nftables", LoadBalancer.forKernel(false).name());
    }

    @Test
    void hostForwardsPublishedPortsToTheSandboxAndTasksRedirectTheirResolver() {
        String host = NftScripts.hostPorts(List.of(WEB, DNS, NOBODY, WEB));
        assertTrue(host.contains("fib daddr type local tcp dport 80 dnat to 172.18.0.2\n"), host);
        assertTrue(host.contains("fib daddr type local tcp dport 81 dnat to 172.18.0.2\n"), host);
        assertTrue(host.contains("ip daddr != 127.0.0.0/8 fib daddr type local udp dport 5353 dnat to 172.18.0.2"), host);
        assertEquals(1, host.split("type nat hook prerouting", -1).length - 1);
        assertEquals(3, host.split("fib daddr type local", -1).length - 1 - 3, "each port once per chain: " + host);
        assertTrue(host.contains("type filter hook prerouting priority raw; policy accept;\n    udp dport 4789 notrack\n"),
                "VXLAN in untracked: " + host);
        assertTrue(host.contains("type filter hook output priority raw; policy accept;\n    udp dport 4789 notrack\n"),
                "VXLAN out untracked: " + host);
        nftAccepts(host);

        String dns = NftScripts.dnsRedirect("172.18.0.1");
        assertTrue(dns.contains("ip daddr 127.0.0.11 udp dport 53 dnat to 172.18.0.1:53"), dns);
        assertTrue(dns.contains("ip daddr 127.0.0.11 tcp dport 53 dnat to 172.18.0.1:53"), dns);
        assertTrue(dns.contains("priority -150"), dns);
        assertTrue(dns.contains("ip daddr 172.18.0.1 meta l4proto { tcp, udp } th dport 53 masquerade"), dns);
        nftAccepts(dns);
    }

    @Test
    void namesFollowDockersLayout() {
        assertEquals("1-1qc6vhwhae", NetNames.overlayNamespace("1qc6vhwhae2dnl0u7m7i0d4sk"));
        assertTrue(NetNames.isOverlayNamespace("1-1qc6vhwhae"));
        assertFalse(NetNames.isOverlayNamespace("ingress_sbox"));
        assertFalse(NetNames.isOverlayNamespace("97c81c75e70a"));
        assertTrue(NetNames.taskVethOverlayEnd("o6fo1nik5sh23ju7f3d6n65ki", 1).length() <= 15);
        assertEquals("10.255.0.3", NetNames.bare("10.255.0.3/16"));
    }

    /** nft's own parser and checker accept the script (skipped where nft or root is missing). */
    private static void nftAccepts(String script) {
        if (!Files.isExecutable(Path.of("/usr/sbin/nft")) || !Files.isExecutable(Path.of("/usr/bin/unshare"))
                || !"root".equals(System.getProperty("user.name"))) {
            return;
        }
        Shell.Result r = new ProcessShell(10_000).run(List.of("unshare", "-n", "nft", "-c", "-f", "-"), script);
        assertEquals(0, r.exit(), "nft refused:\n" + script + "\n" + r.err());
    }
}
