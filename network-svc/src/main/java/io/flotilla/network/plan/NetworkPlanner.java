package io.flotilla.network.plan;

import io.flotilla.contracts.v1.IPAMConfig;
import io.flotilla.contracts.v1.LocalEndpoint;
import io.flotilla.contracts.v1.NeighborEntry;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.OverlayPlan;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.PublishedPortPlan;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.VipBackends;
import io.flotilla.contracts.v1.VirtualIP;
import io.flotilla.network.allocator.Allocator;
import io.flotilla.network.view.NetworkView;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A node's network plan, derived from the state (a pure function of the view): the overlays present on the
 * node (ingress always, and every overlay one of its tasks is attached to), per overlay the remote VTEPs
 * (nodes with tasks on it; every other node for ingress) and the FDB/neighbour entries of the remote
 * endpoints, the VIP backend sets of the networks present, and the routing mesh's published ports with
 * their backends. A backend is a task that is running and meant to run: a task that stops leaves the sets
 * at once. Deterministic order everywhere, so that an unchanged state gives an equal plan.
 */
public final class NetworkPlanner {
    private NetworkPlanner() {
    }

    public static NetworkPlan plan(NetworkView view, String nodeId) {
        Map<String, String> vteps = new HashMap<>();
        Map<String, String> hostnames = new HashMap<>();   // by VTEP address
        for (Node n : view.nodes()) {
            if (n.getStatus().getState() != NodeState.NODE_DOWN && !bare(n.getStatus().getAddr()).isEmpty()) {
                vteps.put(n.getMeta().getId(), bare(n.getStatus().getAddr()));
                if (!n.getDescription().getHostname().isEmpty()) {
                    hostnames.put(bare(n.getStatus().getAddr()), n.getDescription().getHostname());
                }
            }
        }
        Network ingress = null;
        for (Network n : view.networks()) {
            if (n.getIngress()) {
                ingress = n;
            }
        }
        // endpoints per network: live task attachments with their node
        Map<String, List<Endpoint>> endpoints = new HashMap<>();
        List<Task> live = new ArrayList<>();
        for (Task t : view.tasks()) {
            if (t.getNodeId().isEmpty() || !Allocator.live(t)
                    || t.getStatus().getState().getNumber() < TaskState.TASK_ASSIGNED.getNumber()) {
                continue;
            }
            live.add(t);
            for (NetworkAttachment a : t.getNetworksList()) {
                if (a.getAddressesCount() > 0) {
                    endpoints.computeIfAbsent(a.getNetworkId(), k -> new ArrayList<>())
                            .add(new Endpoint(t.getMeta().getId(), t.getNodeId(), a.getAddresses(0), a.getMac()));
                }
            }
        }
        if (ingress != null) {
            for (Node n : view.nodes()) {
                for (NetworkAttachment a : n.getAttachmentsList()) {
                    if (a.getNetworkId().equals(ingress.getMeta().getId()) && a.getAddressesCount() > 0) {
                        endpoints.computeIfAbsent(a.getNetworkId(), k -> new ArrayList<>())
                                .add(new Endpoint("", n.getMeta().getId(), a.getAddresses(0), a.getMac()));
                    }
                }
            }
        }
        // overlays present here
        Map<String, Network> present = new LinkedHashMap<>();
        if (ingress != null) {
            present.put(ingress.getMeta().getId(), ingress);
        }
        live.sort(Comparator.comparing(t -> t.getMeta().getId()));
        for (Task t : live) {
            if (t.getNodeId().equals(nodeId)) {
                for (NetworkAttachment a : t.getNetworksList()) {
                    Network n = view.network(a.getNetworkId());
                    if (n != null) {
                        present.putIfAbsent(n.getMeta().getId(), n);
                    }
                }
            }
        }
        NetworkPlan.Builder plan = NetworkPlan.newBuilder().setNodeId(nodeId).setIndex(view.index());
        List<Network> overlays = new ArrayList<>(present.values());
        overlays.sort(Comparator.comparing((Network n) -> !n.getIngress()).thenComparing(n -> n.getMeta().getId()));
        for (Network n : overlays) {
            String netId = n.getMeta().getId();
            IPAMConfig ipam = n.getIpamCount() > 0 ? n.getIpam(0) : IPAMConfig.getDefaultInstance();
            OverlayPlan.Builder o = OverlayPlan.newBuilder().setNetworkId(netId).setName(n.getName()).setVni(n.getVni())
                    .setSubnet(ipam.getSubnet()).setIngress(n.getIngress()).setInternal(n.getInternal());
            if (!ipam.getGateway().isEmpty() && ipam.getSubnet().contains("/")) {
                o.setGateway(ipam.getGateway() + ipam.getSubnet().substring(ipam.getSubnet().indexOf('/')));
            }
            TreeSet<String> peers = new TreeSet<>();
            if (n.getIngress()) {
                vteps.forEach((id, addr) -> {
                    if (!id.equals(nodeId)) {
                        peers.add(addr);
                    }
                });
            }
            List<Endpoint> eps = new ArrayList<>(endpoints.getOrDefault(netId, List.of()));
            eps.sort(Comparator.comparing(Endpoint::address).thenComparing(Endpoint::taskId));
            for (Endpoint e : eps) {
                if (e.nodeId().equals(nodeId)) {
                    if (!e.taskId().isEmpty()) {
                        o.addLocalEndpoints(LocalEndpoint.newBuilder().setTaskId(e.taskId()).setAddress(e.address())
                                .setMac(e.mac()));
                    }
                    continue;
                }
                String vtep = vteps.get(e.nodeId());
                if (vtep == null) {
                    continue; // its node is down or has no address: nothing to reach it by
                }
                peers.add(vtep);
                o.addNeighbors(NeighborEntry.newBuilder().setIp(bare(e.address())).setMac(e.mac()).setVtep(vtep));
            }
            o.addAllPeerVteps(peers);
            for (String peer : peers) {
                String name = hostnames.get(peer);
                if (name != null) {
                    o.putPeerNames(peer, name);
                }
            }
            plan.addOverlays(o);
        }
        // VIP backend sets and published ports
        Map<String, List<Task>> running = new HashMap<>();
        for (Task t : live) {
            if (t.getStatus().getState() == TaskState.TASK_RUNNING && t.getDesiredState() == TaskState.TASK_RUNNING
                    && vteps.containsKey(t.getNodeId())) {
                running.computeIfAbsent(t.getServiceId(), k -> new ArrayList<>()).add(t);
            }
        }
        List<Service> services = new ArrayList<>(view.services());
        services.sort(Comparator.comparing(s -> s.getMeta().getId()));
        for (Service s : services) {
            List<Task> tasks = running.getOrDefault(s.getMeta().getId(), List.of());
            for (VirtualIP v : s.getEndpoint().getVirtualIpsList()) {
                if (present.containsKey(v.getNetworkId())) {
                    plan.addVips(VipBackends.newBuilder().setServiceId(s.getMeta().getId())
                            .setServiceName(s.getSpec().getName()).setNetworkId(v.getNetworkId())
                            .setVip(bare(v.getAddr())).addAllBackends(addresses(tasks, v.getNetworkId())));
                }
            }
            if (ingress == null) {
                continue;
            }
            String ingressId = ingress.getMeta().getId();
            String vip = "";
            for (VirtualIP v : s.getEndpoint().getVirtualIpsList()) {
                if (v.getNetworkId().equals(ingressId)) {
                    vip = bare(v.getAddr());
                }
            }
            for (PortConfig p : s.getEndpoint().getPortsList()) {
                if (p.getPublishMode() == PublishMode.PUBLISH_INGRESS && p.getPublishedPort() > 0) {
                    plan.addPublishedPorts(PublishedPortPlan.newBuilder().setServiceId(s.getMeta().getId())
                            .setProtocol(p.getProtocol().isEmpty() ? "tcp" : p.getProtocol())
                            .setPublishedPort(p.getPublishedPort()).setTargetPort(p.getTargetPort()).setVip(vip)
                            .addAllBackends(addresses(tasks, ingressId)));
                }
            }
        }
        for (Node n : view.nodes()) {
            if (n.getMeta().getId().equals(nodeId) && ingress != null) {
                for (NetworkAttachment a : n.getAttachmentsList()) {
                    if (a.getNetworkId().equals(ingress.getMeta().getId())) {
                        plan.setIngressSandbox(a);
                    }
                }
            }
        }
        return plan.build();
    }

    private record Endpoint(String taskId, String nodeId, String address, String mac) {
    }

    private static List<String> addresses(Collection<Task> tasks, String networkId) {
        TreeSet<String> out = new TreeSet<>(Comparator.comparingLong(NetworkPlanner::numeric));
        for (Task t : tasks) {
            for (NetworkAttachment a : t.getNetworksList()) {
                if (a.getNetworkId().equals(networkId) && a.getAddressesCount() > 0) {
                    out.add(bare(a.getAddresses(0)));
                }
            }
        }
        return new ArrayList<>(out);
    }

    private static long numeric(String ip) {
        long v = 0;
        for (String p : ip.split("\\.")) {
            try {
                v = v * 256 + Integer.parseInt(p);
            } catch (NumberFormatException e) {
                return v;
            }
        }
        return v;
    }

    /** "10.0.0.3/24" -> "10.0.0.3"; "10.10.10.61:2377" -> "10.10.10.61". */
    static String bare(String addr) {
        if (addr == null) {
            return "";
        }
        int cut = addr.indexOf('/');
        if (cut < 0) {
            cut = addr.lastIndexOf(':');
            if (cut >= 0 && addr.indexOf(':') != cut) {
                cut = -1; // IPv6 without a port
            }
        }
        return cut < 0 ? addr : addr.substring(0, cut);
    }
}
