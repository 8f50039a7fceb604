package io.flotilla.agent.net;

import io.flotilla.contracts.v1.NeighborEntry;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.OverlayPlan;
import io.flotilla.contracts.v1.PublishedPortPlan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the dataplane asks of the kernel tools for a sequence of plans (the commands themselves run on the
 * lab: RoutingMeshLabIT). Here a shell that records, and answers "ip netns list" from what was added.
 */
class DataplaneTest {

    private static final String NET = "1qc6vhwhae2dnl0u7m7i0d4sk";
    private final List<String> log = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    private int gatewayBridges;
    private Dataplane dp;

    private final Shell shell = (argv, stdin) -> {
        String cmd = String.join(" ", argv) + (stdin == null ? "" : "\n" + stdin);
        synchronized (log) {
            log.add(cmd);
        }
        if (argv.equals(List.of("ip", "netns", "list"))) {
            return new Shell.Result(0, String.join("\n", namespaces), "");
        }
        if (argv.size() == 4 && argv.subList(0, 3).equals(List.of("ip", "netns", "add"))) {
            namespaces.add(argv.get(3));
        }
        if (argv.size() == 4 && argv.subList(0, 3).equals(List.of("ip", "netns", "del"))) {
            namespaces.remove(argv.get(3));
        }
        return new Shell.Result(0, "", "");
    };

    @AfterEach
    void close() {
        if (dp != null) {
            dp.close();
        }
    }

    private static OverlayPlan ingress(List<String> peers, List<NeighborEntry> neighbors) {
        return OverlayPlan.newBuilder().setNetworkId(NET).setName("ingress").setVni(4096).setSubnet("10.255.0.0/16")
                .setGateway("10.255.0.1/16").setIngress(true).addAllPeerVteps(peers).addAllNeighbors(neighbors).build();
    }

    private static NeighborEntry n(String ip, String mac, String vtep) {
        return NeighborEntry.newBuilder().setIp(ip).setMac(mac).setVtep(vtep).build();
    }

    private static NetworkPlan plan(long index, OverlayPlan o, PublishedPortPlan... ports) {
        return NetworkPlan.newBuilder().setIndex(index).addOverlays(o).addAllPublishedPorts(List.of(ports))
                .setIngressSandbox(NetworkAttachment.newBuilder().addAddresses("10.255.0.3/16").setMac("02:42:0a:ff:00:03"))
                .build();
    }

    private void apply(NetworkPlan p) throws Exception {
        synchronized (log) {
            log.clear();
        }
        dp.accept(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (dp.applied().getIndex() != p.getIndex() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(p.getIndex(), dp.applied().getIndex(), "plan applied");
    }

    private String all() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    @Test
    void aTaskIsPluggedInWithOneProcessInItsNamespaceAndItsAddressGoesToTheDns() throws Exception {
        List<String> registered = new ArrayList<>();
        Shell answering = (argv, stdin) -> {
            Shell.Result r = shell.run(argv, stdin);
            if (argv.size() > 5 && argv.get(0).equals("nsenter") && argv.get(4).equals("sh")) {
                return new Shell.Result(0, "41: eth0    inet 172.18.0.7/16 brd 172.18.255.255 scope global eth0\\"
                        + "       valid_lft forever preferred_lft forever\n", "");
            }
            return r;
        };
        dp = new Dataplane(answering, new NftablesLoadBalancer(), () -> gatewayBridges++, new Dataplane.DnsSources() {
            @Override
            public void register(String taskId, String address) {
                registered.add(taskId + " " + address);
            }

            @Override
            public void unregister(String taskId) {
                registered.add("-" + taskId);
            }
        }, "bridge", "172.18.0.1");
        apply(plan(1, ingress(List.of(), List.of())));
        synchronized (log) {
            log.clear();
        }
        io.flotilla.contracts.v1.Task task = io.flotilla.contracts.v1.Task.newBuilder()
                .setMeta(io.flotilla.contracts.v1.Meta.newBuilder().setId("t1")).setServiceName("web").setSlot(1)
                .addNetworks(NetworkAttachment.newBuilder().setNetworkId(NET).addAddresses("10.255.0.9/16")
                        .setMac("02:42:0a:ff:00:09"))
                .build();
        assertEquals(NetNames.GWBRIDGE, dp.networkMode(task));
        dp.attach(task, new io.flotilla.agent.exec.ObservedContainer("c1", "t1",
                io.flotilla.agent.exec.ObservedContainer.Phase.RUNNING, 0, 4242, 0, 0));
        List<String> inTask;
        synchronized (log) {
            inTask = log.stream().filter(c -> c.startsWith("nsenter -t 4242 -n")).toList();
        }
        assertEquals(1, inTask.size(), "one process in the task's namespace: " + inTask);
        String script = inTask.get(0);
        assertTrue(script.contains("ip -o -4 addr show dev eth0"), script);
        assertTrue(script.contains("link set eth0 name eth1"), script);
        assertTrue(script.contains("addr add 10.255.0.9/16 dev eth0"), script);
        assertTrue(script.contains("net.ipv4.conf.eth1.route_localnet=1"), script);
        assertTrue(script.contains("ip daddr 127.0.0.11 udp dport 53 dnat to 172.18.0.1:53"), "the DNS redirect: " + script);
        assertTrue(script.contains("table ip flotilla_lb"), "the VIP rules in the same script: " + script);
        assertEquals(List.of("t1 172.18.0.7"), registered);
    }

    @Test
    void buildsTheOverlayAndSandboxOnceThenOnlyTheDifferences() throws Exception {
        dp = new Dataplane(shell, new NftablesLoadBalancer(), () -> gatewayBridges++, null, "bridge", "172.18.0.1");
        PublishedPortPlan web = PublishedPortPlan.newBuilder().setProtocol("tcp").setPublishedPort(80)
                .setTargetPort(8080).addBackends("10.255.0.5").build();
        apply(plan(1, ingress(List.of("10.10.10.60"), List.of(n("10.255.0.5", "02:42:0a:ff:00:05", "10.10.10.60"))), web));
        String first = all();
        assertTrue(first.contains("ip netns add 1-1qc6vhwhae"), first);
        assertTrue(first.contains("ip link add vx-4096 type vxlan id 4096 dstport 4789 nolearning proxy"), first);
        assertTrue(first.contains("link set vx-4096 name vxlan0"), first);
        assertTrue(first.contains("nsenter --net=/run/netns/1-1qc6vhwhae sysctl -q -w net.bridge.bridge-nf-call-iptables=0"),
                "bridged overlay frames skip the IP hooks: " + first);
        assertTrue(first.contains("fdb append 00:00:00:00:00:00 dev vxlan0 dst 10.10.10.60 self permanent"), first);
        assertTrue(first.contains("neigh replace 10.255.0.5 lladdr 02:42:0a:ff:00:05 dev vxlan0 nud permanent"), first);
        assertTrue(first.contains("ip netns add ingress_sbox"), first);
        assertTrue(first.contains("addr add 172.18.0.2/16 dev eth1"), first);
        assertTrue(first.contains("tcp dport 80 dnat ip to 10.255.0.5:8080"), first);
        assertTrue(first.contains("fib daddr type local tcp dport 80 dnat to 172.18.0.2"), first);
        assertEquals(1, gatewayBridges);

        // the same plan again (a new index): nothing to do
        apply(plan(2, ingress(List.of("10.10.10.60"), List.of(n("10.255.0.5", "02:42:0a:ff:00:05", "10.10.10.60"))), web));
        assertFalse(all().contains("fdb") || all().contains("nft") || all().contains("netns add"), all());

        // a peer and an endpoint go, another comes: only those entries change
        apply(plan(3, ingress(List.of("10.10.10.62"), List.of(n("10.255.0.8", "02:42:0a:ff:00:08", "10.10.10.62"))),
                web.toBuilder().clearBackends().addBackends("10.255.0.8").build()));
        String third = all();
        assertTrue(third.contains("fdb del 00:00:00:00:00:00 dev vxlan0 dst 10.10.10.60 self"), third);
        assertTrue(third.contains("fdb append 00:00:00:00:00:00 dev vxlan0 dst 10.10.10.62 self permanent"), third);
        assertTrue(third.contains("fdb del 02:42:0a:ff:00:05 dev vxlan0 self"), third);
        assertTrue(third.contains("neigh del 10.255.0.5 dev vxlan0"), third);
        assertTrue(third.contains("neigh replace 10.255.0.8 lladdr 02:42:0a:ff:00:08"), third);
        assertTrue(third.contains("tcp dport 80 dnat ip to 10.255.0.8:8080"), third);
        assertFalse(third.contains("netns add"), third);

        // the swarm is left: the namespaces and the host's rules go
        apply(NetworkPlan.newBuilder().setIndex(4).build());
        String last = all();
        assertTrue(last.contains("ip netns del ingress_sbox") && last.contains("ip netns del 1-1qc6vhwhae"), last);
        assertTrue(last.contains("delete table ip flotilla_ingress"), last);
        assertTrue(namespaces.isEmpty(), namespaces.toString());
    }

    @Test
    void aNewSwarmsIngressTakesTheVniOfTheOldOneAfterItIsGone() throws Exception {
        dp = new Dataplane(shell, new NftablesLoadBalancer(), () -> gatewayBridges++, null, "bridge", "172.18.0.1");
        apply(plan(1, ingress(List.of("10.10.10.61"), List.of())));
        // the swarm is left and another initialised: its ingress is another network with the same VNI
        OverlayPlan next = ingress(List.of("10.10.10.61"), List.of()).toBuilder().setNetworkId("9zz8yy7xx6ww5vv4uu3tt2ss1").build();
        apply(plan(2, next));
        String cmds = all();
        int gone = cmds.indexOf("ip netns del 1-1qc6vhwhae");
        int made = cmds.indexOf("vx-4096");
        assertTrue(gone >= 0 && made > gone, "the old overlay's namespace (and VXLAN device) goes first:\n" + cmds);
        assertEquals(List.of("1-9zz8yy7xx6", NetNames.INGRESS_SBOX).stream().sorted().toList(),
                namespaces.stream().sorted().toList());
    }
}
