package io.flotilla.network.ipam;

import io.flotilla.contracts.v1.Endpoint;
import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.IPAMConfig;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.VirtualIP;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The cluster's network resources, per object kind with idempotent {@code isAllocated / allocate /
 * deallocate} (after swarmkit's networkallocator). The allocations themselves live in the store objects
 * (Network.vni and ipam, Service.endpoint, Task.networks); this is only a cache of who holds what, rebuilt
 * by calling {@code allocate} on every stored object: an object that already carries its resources claims
 * exactly those (a restore), and gets new ones only for what it lacks or what another holder took first.
 * {@code allocate} is all-or-nothing: on failure (pool exhausted, conflict, unknown network) it throws
 * {@link IpamException} and holds nothing new. Not thread-safe: one reconcile thread owns it.
 */
public final class Ipam {
    public static final String INGRESS_NAME = "ingress";
    public static final String INGRESS_SUBNET = "10.255.0.0/16";
    public static final String INGRESS_GATEWAY = "10.255.0.1";

    private final VniAllocator vnis;
    private final SubnetPool subnets;
    private final PortAllocator ports;
    private final Map<String, NetworkState> networks = new LinkedHashMap<>();
    /** resource key -> holder ("network/<id>", "service/<id>", "task/<id>") and back. */
    private final Map<String, String> holderOf = new HashMap<>();
    private final Map<String, Set<String>> heldBy = new HashMap<>();

    /** One network's resources. */
    public record NetworkState(String id, String name, boolean ingress, int vni, AddressPool pool) {
    }

    public Ipam() {
        this(new VniAllocator(), new SubnetPool(), new PortAllocator());
    }

    public Ipam(VniAllocator vnis, SubnetPool subnets, PortAllocator ports) {
        this.vnis = vnis;
        this.subnets = subnets;
        this.ports = ports;
    }

    // ------------------------------------------------------------------ networks

    public boolean isAllocated(Network n) {
        NetworkState s = networks.get(n.getMeta().getId());
        return s != null && n.getVni() == s.vni() && n.getIpamCount() > 0
                && n.getIpam(0).getSubnet().equals(s.pool().subnet().toString())
                && n.getIpam(0).getGateway().equals(Ip4.format(s.pool().gateway())) && n.getAllocationError().isEmpty();
    }

    /**
     * The network with a VNI (4096 for ingress, else the lowest free from 4097), a subnet (the given one, or
     * the first free /24 of 10.0.0.0/8) and a gateway (the given one, or the subnet's first address).
     * allocation_error is cleared; the caller sets it when this throws.
     */
    public Network allocate(Network n) {
        String id = n.getMeta().getId();
        if (isAllocated(n)) {
            return n;
        }
        if (networks.containsKey(id)) {
            deallocate(n);
        }
        String holder = "network/" + id;
        List<String> claimed = new ArrayList<>();
        try {
            int vni = n.getVni();
            if (vni == 0) {
                vni = n.getIngress() ? VniAllocator.INGRESS_VNI : vnis.allocate();
                if (n.getIngress() && !vnis.claim(vni)) {
                    throw new IpamException("VXLAN id " + vni + " of the ingress network is taken");
                }
            } else if (!vnis.claim(vni)) {
                vni = vnis.allocate();
            }
            claimed.add("v|" + vni);
            IPAMConfig given = n.getIpamCount() > 0 ? n.getIpam(0) : IPAMConfig.getDefaultInstance();
            Subnet subnet;
            if (given.getSubnet().isEmpty()) {
                subnet = subnets.allocate();
            } else {
                subnet = Subnet.parse(given.getSubnet());
                if (!Ip4.format(subnet.base()).equals(given.getSubnet().substring(0, given.getSubnet().indexOf('/')))) {
                    throw new IpamException("invalid subnet " + given.getSubnet() + ": it has host bits set");
                }
                subnets.claim(subnet);
            }
            claimed.add("s|" + subnet);
            int gateway = given.getGateway().isEmpty() ? subnet.at(1) : Ip4.parse(given.getGateway());
            AddressPool pool = new AddressPool(subnet, gateway);
            networks.put(id, new NetworkState(id, n.getName(), n.getIngress(), vni, pool));
            for (String k : claimed) {
                hold(holder, k);
            }
            IPAMConfig.Builder ipam = given.toBuilder().setSubnet(subnet.toString()).setGateway(Ip4.format(gateway));
            Network.Builder b = n.toBuilder().setVni(vni).clearIpam().addIpam(ipam).setAllocationError("");
            b.addAllIpam(n.getIpamList().subList(Math.min(1, n.getIpamCount()), n.getIpamCount()));
            return b.build();
        } catch (RuntimeException e) {
            for (String k : claimed) {
                releaseKey(k);
            }
            throw e instanceof IpamException ? e : new IpamException(e.getMessage());
        }
    }

    public void deallocate(Network n) {
        deallocateNetwork(n.getMeta().getId());
    }

    private void deallocateNetwork(String id) {
        NetworkState s = networks.remove(id);
        releaseHolder("network/" + id);
        if (s != null) {
            // addresses in the pool die with it; forget who held them
            for (var it = holderOf.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey().startsWith("a|" + id + "|")) {
                    Set<String> keys = heldBy.get(e.getValue());
                    if (keys != null) {
                        keys.remove(e.getKey());
                    }
                    it.remove();
                }
            }
        }
    }

    public NetworkState network(String id) {
        return networks.get(id);
    }

    public Collection<NetworkState> networks() {
        return networks.values();
    }

    public NetworkState ingress() {
        for (NetworkState s : networks.values()) {
            if (s.ingress()) {
                return s;
            }
        }
        return null;
    }

    /** A network by id, else by name, else by unique id prefix (a service's target as the user gave it). */
    public NetworkState resolve(String target) {
        NetworkState s = networks.get(target);
        if (s != null) {
            return s;
        }
        NetworkState byPrefix = null;
        int prefixMatches = 0;
        for (NetworkState n : networks.values()) {
            if (n.name().equals(target)) {
                return n;
            }
            if (n.id().startsWith(target)) {
                byPrefix = n;
                prefixMatches++;
            }
        }
        return prefixMatches == 1 ? byPrefix : null;
    }

    // ------------------------------------------------------------------ services

    /** Ingress-mode ports (published or not) attach a service to the ingress network. */
    public static boolean needsIngress(EndpointSpec spec) {
        for (PortConfig p : spec.getPortsList()) {
            if (p.getPublishMode() == PublishMode.PUBLISH_INGRESS) {
                return true;
            }
        }
        return false;
    }

    /** The network ids a service's VIPs and tasks are on: ingress first when it publishes ports, then its own. */
    public List<String> serviceNetworks(EndpointSpec endpoint, List<NetworkAttachmentConfig> attachments) {
        Set<String> ids = new LinkedHashSet<>();
        if (needsIngress(endpoint)) {
            NetworkState ingress = ingress();
            if (ingress == null) {
                throw new IpamException("the ingress network is not allocated yet");
            }
            ids.add(ingress.id());
        }
        for (NetworkAttachmentConfig a : attachments) {
            NetworkState s = resolve(a.getTarget());
            if (s == null) {
                throw new IpamException("network " + a.getTarget() + " not found");
            }
            if (s.ingress()) {
                throw new IpamException("service cannot be explicitly attached to the ingress network \""
                        + s.name() + "\"");
            }
            ids.add(s.id());
        }
        return new ArrayList<>(ids);
    }

    private static EndpointSpec endpointSpec(Service s) {
        return s.getSpec().hasEndpoint() ? s.getSpec().getEndpoint() : EndpointSpec.getDefaultInstance();
    }

    public boolean isAllocated(Service s) {
        Service want;
        try {
            want = planService(s, false);
        } catch (IpamException e) {
            return false;
        }
        return want.getEndpoint().equals(s.getEndpoint()) && s.getAllocationError().isEmpty()
                && heldBy.getOrDefault("service/" + s.getMeta().getId(), Set.of()).equals(keysOf(want));
    }

    /**
     * The service with its endpoint: the spec, the ports with published ports allocated (ingress mode), and a
     * VIP per network in vip mode. allocation_error is cleared; the caller sets it when this throws.
     */
    public Service allocate(Service s) {
        return planService(s, true);
    }

    private Service planService(Service s, boolean commit) {
        String holder = "service/" + s.getMeta().getId();
        Set<String> before = heldBy.getOrDefault(holder, Set.of());
        EndpointSpec spec = endpointSpec(s);
        List<String> nets = serviceNetworks(spec, s.getSpec().getTask().getNetworksList());
        List<String> claimed = new ArrayList<>();
        Set<String> keep = new LinkedHashSet<>();
        try {
            Endpoint.Builder e = Endpoint.newBuilder().setSpec(spec);
            // ports: explicit ones claimed; 0 reuses the one held already, else the next free dynamic one
            Map<String, Integer> previous = new HashMap<>();
            for (PortConfig p : s.getEndpoint().getPortsList()) {
                previous.put(portIdentity(p), p.getPublishedPort());
            }
            for (PortConfig p : spec.getPortsList()) {
                PortConfig.Builder out = p.toBuilder();
                if (p.getProtocol().isEmpty()) {
                    out.setProtocol("tcp");
                }
                if (p.getPublishMode() == PublishMode.PUBLISH_INGRESS) {
                    String proto = out.getProtocol();
                    int port = p.getPublishedPort();
                    if (port == 0) {
                        Integer prev = previous.get(portIdentity(p));
                        if (prev != null && prev > 0 && canHold(holder, portKey(proto, prev))) {
                            port = prev;
                        }
                    }
                    if (port != 0) {
                        String key = portKey(proto, port);
                        if (!canHold(holder, key)) {
                            throw new IpamException("port '" + port + "' is already in use by service '"
                                    + ownerName(key) + "' as an ingress port");
                        }
                        if (commit && !before.contains(key)) {
                            if (!ports.claim(proto, port)) {
                                throw new IpamException("port '" + port + "' is already in use");
                            }
                            claimed.add(key);
                        }
                        keep.add(key);
                    } else if (commit) {
                        port = ports.allocate(proto);
                        String key = portKey(proto, port);
                        claimed.add(key);
                        keep.add(key);
                    } else {
                        throw new IpamException("unallocated port");
                    }
                    out.setPublishedPort(port);
                }
                e.addPorts(out);
            }
            if (spec.getMode() == EndpointMode.ENDPOINT_VIP) {
                Map<String, String> previousVip = new HashMap<>();
                for (VirtualIP v : s.getEndpoint().getVirtualIpsList()) {
                    previousVip.put(v.getNetworkId(), v.getAddr());
                }
                for (String netId : nets) {
                    NetworkState ns = networks.get(netId);
                    String addr = previousVip.get(netId);
                    int ip = 0;
                    if (addr != null && !addr.isEmpty()) {
                        int candidate = Ip4.parseAddr(addr);
                        String key = addrKey(netId, candidate);
                        if (ns.pool().subnet().contains(candidate) && canHold(holder, key)) {
                            if (!before.contains(key) && commit) {
                                if (ns.pool().claim(candidate)) {
                                    claimed.add(key);
                                    ip = candidate;
                                }
                            } else {
                                ip = candidate;
                            }
                        }
                    }
                    if (ip == 0) {
                        if (!commit) {
                            throw new IpamException("unallocated VIP");
                        }
                        ip = allocateIn(ns);
                        claimed.add(addrKey(netId, ip));
                    }
                    keep.add(addrKey(netId, ip));
                    e.addVirtualIps(VirtualIP.newBuilder().setNetworkId(netId).setAddr(ns.pool().subnet().cidrOf(ip)));
                }
            }
            if (commit) {
                for (String k : claimed) {
                    hold(holder, k);
                }
                for (String k : new ArrayList<>(before)) {
                    if (!keep.contains(k)) {
                        releaseKey(k);
                    }
                }
            }
            return s.toBuilder().setEndpoint(e).setAllocationError("").build();
        } catch (RuntimeException ex) {
            for (String k : claimed) {
                releaseRaw(k);
            }
            throw ex instanceof IpamException ? ex : new IpamException(ex.getMessage());
        }
    }

    private static String portIdentity(PortConfig p) {
        return (p.getProtocol().isEmpty() ? "tcp" : p.getProtocol()) + "/" + p.getTargetPort() + "/" + p.getPublishMode();
    }

    public void deallocate(Service s) {
        releaseHolder("service/" + s.getMeta().getId());
    }

    // ------------------------------------------------------------------ tasks

    /** The networks a task is attached to: ingress first if its endpoint publishes ingress ports, then its own. */
    public List<String> taskNetworks(Task t) {
        EndpointSpec spec = t.getEndpoint().hasSpec() ? t.getEndpoint().getSpec() : EndpointSpec.getDefaultInstance();
        return serviceNetworks(spec, t.getSpec().getNetworksList());
    }

    public boolean isAllocated(Task t) {
        List<String> nets;
        try {
            nets = taskNetworks(t);
        } catch (IpamException e) {
            return false;
        }
        Set<String> held = heldBy.getOrDefault("task/" + t.getMeta().getId(), Set.of());
        if (t.getNetworksCount() != nets.size()) {
            return false;
        }
        for (int i = 0; i < nets.size(); i++) {
            NetworkAttachment a = t.getNetworks(i);
            if (!a.getNetworkId().equals(nets.get(i)) || a.getAddressesCount() != 1) {
                return false;
            }
            int ip = Ip4.parseAddr(a.getAddresses(0));
            if (!held.contains(addrKey(a.getNetworkId(), ip)) || !a.getMac().equals(Ip4.mac(ip))) {
                return false;
            }
        }
        return held.size() == nets.size();
    }

    /** The task with one attachment per network: an address (CIDR form) and Docker's MAC for it. */
    public Task allocate(Task t) {
        String holder = "task/" + t.getMeta().getId();
        Set<String> before = heldBy.getOrDefault(holder, Set.of());
        List<String> nets = taskNetworks(t);
        Map<String, NetworkAttachment> previous = new HashMap<>();
        for (NetworkAttachment a : t.getNetworksList()) {
            previous.put(a.getNetworkId(), a);
        }
        Map<String, List<String>> aliases = new HashMap<>();
        for (NetworkAttachmentConfig c : t.getSpec().getNetworksList()) {
            NetworkState s = resolve(c.getTarget());
            if (s != null) {
                aliases.put(s.id(), c.getAliasesList());
            }
        }
        List<String> claimed = new ArrayList<>();
        Set<String> keep = new LinkedHashSet<>();
        try {
            Task.Builder b = t.toBuilder().clearNetworks();
            for (String netId : nets) {
                NetworkState ns = networks.get(netId);
                int ip = 0;
                NetworkAttachment prev = previous.get(netId);
                if (prev != null && prev.getAddressesCount() > 0) {
                    int candidate = Ip4.parseAddr(prev.getAddresses(0));
                    String key = addrKey(netId, candidate);
                    if (before.contains(key)) {
                        ip = candidate;
                    } else if (canHold(holder, key) && ns.pool().claim(candidate)) {
                        claimed.add(key);
                        ip = candidate;
                    }
                }
                if (ip == 0) {
                    ip = allocateIn(ns);
                    claimed.add(addrKey(netId, ip));
                }
                keep.add(addrKey(netId, ip));
                b.addNetworks(NetworkAttachment.newBuilder().setNetworkId(netId)
                        .addAddresses(ns.pool().subnet().cidrOf(ip)).setMac(Ip4.mac(ip))
                        .addAllAliases(aliases.getOrDefault(netId, List.of())));
            }
            for (String k : claimed) {
                hold(holder, k);
            }
            for (String k : new ArrayList<>(before)) {
                if (!keep.contains(k)) {
                    releaseKey(k);
                }
            }
            return b.build();
        } catch (RuntimeException ex) {
            for (String k : claimed) {
                releaseRaw(k);
            }
            throw ex instanceof IpamException ? ex : new IpamException(ex.getMessage());
        }
    }

    public void deallocate(Task t) {
        releaseHolder("task/" + t.getMeta().getId());
    }

    // ------------------------------------------------------------------ nodes

    /** A node's address on the ingress network (its ingress_sbox endpoint), kept in Node.attachments. */
    public boolean isAllocated(io.flotilla.contracts.v1.Node n) {
        NetworkState ingress = ingress();
        if (ingress == null) {
            return true;
        }
        Set<String> held = heldBy.getOrDefault("node/" + n.getMeta().getId(), Set.of());
        if (n.getAttachmentsCount() != 1 || !n.getAttachments(0).getNetworkId().equals(ingress.id())
                || n.getAttachments(0).getAddressesCount() != 1) {
            return false;
        }
        int ip = Ip4.parseAddr(n.getAttachments(0).getAddresses(0));
        return held.size() == 1 && held.contains(addrKey(ingress.id(), ip));
    }

    public io.flotilla.contracts.v1.Node allocate(io.flotilla.contracts.v1.Node n) {
        NetworkState ingress = ingress();
        if (ingress == null) {
            return n;
        }
        String holder = "node/" + n.getMeta().getId();
        Set<String> before = heldBy.getOrDefault(holder, Set.of());
        int ip = 0;
        for (NetworkAttachment a : n.getAttachmentsList()) {
            if (a.getNetworkId().equals(ingress.id()) && a.getAddressesCount() > 0) {
                int candidate = Ip4.parseAddr(a.getAddresses(0));
                String key = addrKey(ingress.id(), candidate);
                if (before.contains(key)) {
                    ip = candidate;
                } else if (canHold(holder, key) && ingress.pool().claim(candidate)) {
                    hold(holder, key);
                    ip = candidate;
                }
            }
        }
        if (ip == 0) {
            ip = allocateIn(ingress);
            hold(holder, addrKey(ingress.id(), ip));
        }
        for (String k : new ArrayList<>(before)) {
            if (!k.equals(addrKey(ingress.id(), ip))) {
                releaseKey(k);
            }
        }
        return n.toBuilder().clearAttachments().addAttachments(NetworkAttachment.newBuilder()
                .setNetworkId(ingress.id()).addAddresses(ingress.pool().subnet().cidrOf(ip)).setMac(Ip4.mac(ip))).build();
    }

    public void deallocate(io.flotilla.contracts.v1.Node n) {
        releaseHolder("node/" + n.getMeta().getId());
    }

    // ------------------------------------------------------------------ holders

    /** Every holder the cache knows ("network/<id>", "service/<id>", "task/<id>"). */
    public Set<String> holders() {
        Set<String> out = new LinkedHashSet<>(heldBy.keySet());
        for (String id : networks.keySet()) {
            out.add("network/" + id);
        }
        return out;
    }

    /** Releases everything a holder has (a deleted or ended object). */
    public void releaseHolder(String holder) {
        if (holder.startsWith("network/") && networks.containsKey(holder.substring(8))) {
            deallocateNetwork(holder.substring(8));
            return;
        }
        Set<String> keys = heldBy.remove(holder);
        if (keys != null) {
            for (String k : keys) {
                holderOf.remove(k);
                releaseRaw(k);
            }
        }
    }

    /** How many resources a holder has (tests, metrics). */
    public int held(String holder) {
        return heldBy.getOrDefault(holder, Set.of()).size();
    }

    private int allocateIn(NetworkState ns) {
        try {
            return ns.pool().allocate();
        } catch (IpamException e) {
            throw new IpamException("could not allocate an address on network " + ns.name() + " (" + ns.pool().subnet()
                    + "): address pool exhausted");
        }
    }

    private Set<String> keysOf(Service s) {
        Set<String> keys = new LinkedHashSet<>();
        for (PortConfig p : s.getEndpoint().getPortsList()) {
            if (p.getPublishMode() == PublishMode.PUBLISH_INGRESS && p.getPublishedPort() > 0) {
                keys.add(portKey(p.getProtocol(), p.getPublishedPort()));
            }
        }
        for (VirtualIP v : s.getEndpoint().getVirtualIpsList()) {
            keys.add(addrKey(v.getNetworkId(), Ip4.parseAddr(v.getAddr())));
        }
        return keys;
    }

    private boolean canHold(String holder, String key) {
        String h = holderOf.get(key);
        return h == null || h.equals(holder);
    }

    private String ownerName(String key) {
        String h = holderOf.get(key);
        return h == null ? "" : h.substring(h.indexOf('/') + 1);
    }

    private void hold(String holder, String key) {
        holderOf.put(key, holder);
        heldBy.computeIfAbsent(holder, k -> new LinkedHashSet<>()).add(key);
    }

    private void releaseKey(String key) {
        String h = holderOf.remove(key);
        if (h != null) {
            Set<String> keys = heldBy.get(h);
            if (keys != null) {
                keys.remove(key);
                if (keys.isEmpty()) {
                    heldBy.remove(h);
                }
            }
        }
        releaseRaw(key);
    }

    private void releaseRaw(String key) {
        String[] p = key.split("\\|");
        switch (p[0]) {
            case "v" -> vnis.release(Integer.parseInt(p[1]));
            case "s" -> subnets.release(Subnet.parse(p[1]));
            case "p" -> ports.release(p[1], Integer.parseInt(p[2]));
            case "a" -> {
                NetworkState ns = networks.get(p[1]);
                if (ns != null) {
                    ns.pool().release(Integer.parseInt(p[2]));
                }
            }
            default -> {
            }
        }
    }

    static String portKey(String proto, int port) {
        return "p|" + (proto == null || proto.isEmpty() ? "tcp" : proto) + "|" + port;
    }

    static String addrKey(String netId, int ip) {
        return "a|" + netId + "|" + ip;
    }

    @Override
    public String toString() {
        return "Ipam{networks=" + networks.size() + ", holders=" + heldBy.size() + "}";
    }

    @SuppressWarnings("unused")
    private static boolean same(Object a, Object b) {
        return Objects.equals(a, b);
    }
}
