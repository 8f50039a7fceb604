package io.flotilla.agent.net;

import io.flotilla.agent.exec.ObservedContainer;
import io.flotilla.agent.exec.TaskContainers;
import io.flotilla.agent.exec.TaskNetworking;
import io.flotilla.contracts.v1.NeighborEntry;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.OverlayPlan;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.VipBackends;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's dataplane (DESIGN.md, "Dataplane on each host"), enacted from the network plan the dispatcher
 * sends: per overlay a namespace {@code 1-<id>} with {@code br0} and {@code vxlan0} (static FDB and neighbour
 * entries for the remote endpoints, a flood entry per peer VTEP); {@code ingress_sbox} on the ingress
 * overlay and docker_gwbridge, balancing every published port over its backends; the host forwarding those
 * ports to it; in each task's namespace its overlay interfaces, VIP balancing and the DNS redirect.
 * Level-based: every plan is applied whole, what it no longer names is removed; a failed apply is retried.
 * Task containers are created on docker_gwbridge and plugged into their overlays once they run.
 */
public final class Dataplane implements NetworkPlanSink, TaskNetworking, NetworkFacts, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Dataplane.class.getName());
    private static final String VXLAN = "vxlan0";
    private static final String FLOOD_MAC = "00:00:00:00:00:00";
    private static final List<String> NFT_SCRIPT = List.of("nft", "-f", "-");

    /** What the dataplane needs from the local engine. */
    public interface Engine {
        /**
         * Makes sure the engine's docker_gwbridge network exists: a bridge on 172.18.0.0/16, inter-container
         * traffic off, masquerade on, with 172.18.0.2 kept out of its address pool for ingress_sbox.
         */
        void ensureGatewayBridge();
    }

    /** Tells the node's dns-svc which source address belongs to which task (optional). */
    public interface DnsSources {
        void register(String taskId, String address);

        void unregister(String taskId);
    }

    private static final class OverlayState {
        final String namespace;
        final Set<String> floods = new HashSet<>();
        final Map<String, NeighborEntry> neighbors = new HashMap<>();

        OverlayState(String namespace) {
            this.namespace = namespace;
        }
    }

    private static final class LocalTask {
        final String taskId;
        final int pid;
        final Set<String> networkIds;
        final String gwAddress;
        final String containerId;
        final String name;
        final List<NetworkAttachment> attachments;
        List<Step> vipSteps = List.of();

        LocalTask(String taskId, int pid, String gwAddress, String containerId, String name,
                  List<NetworkAttachment> attachments) {
            this.taskId = taskId;
            this.pid = pid;
            this.networkIds = new HashSet<>();
            attachments.forEach(a -> networkIds.add(a.getNetworkId()));
            this.gwAddress = gwAddress;
            this.containerId = containerId;
            this.name = name;
            this.attachments = List.copyOf(attachments);
        }
    }

    private final Shell sh;
    private final LoadBalancer lb;
    private final Engine engine;
    private final DnsSources dns;
    private final String defaultMode;
    private final String dnsAddress;
    private final Object lock = new Object();
    private final ScheduledExecutorService worker;
    private final AtomicReference<NetworkPlan> pending = new AtomicReference<>();

    // all below under lock
    private NetworkPlan applied = NetworkPlan.getDefaultInstance();
    private final Map<String, OverlayState> overlays = new HashMap<>();
    private final Map<String, LocalTask> tasks = new HashMap<>();
    private boolean gatewayReady;
    private boolean startedClean;
    private String sandboxKey;
    private List<Step> meshApplied;
    private String hostApplied;

    /**
     * @param defaultMode the engine network mode for a task on no overlay
     * @param dnsAddress  where the node's dns-svc answers on docker_gwbridge (its gateway address)
     */
    public Dataplane(Shell sh, LoadBalancer lb, Engine engine, DnsSources dns, String defaultMode, String dnsAddress) {
        this.sh = sh;
        this.lb = lb;
        this.engine = engine;
        this.dns = dns;
        this.defaultMode = defaultMode;
        this.dnsAddress = dnsAddress;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dataplane");
            t.setDaemon(true);
            return t;
        });
    }

    public String loadBalancer() {
        return lb.name();
    }

    /** The plan last applied whole. */
    public NetworkPlan applied() {
        synchronized (lock) {
            return applied;
        }
    }

    // ------------------------------------------------------------------ plans

    @Override
    public void accept(NetworkPlan plan) {
        if (pending.getAndSet(plan) == null) {
            worker.execute(this::drain);
        }
    }

    private void drain() {
        NetworkPlan plan = pending.getAndSet(null);
        if (plan == null) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            synchronized (lock) {
                apply(plan);
            }
            LOG.fine(() -> "network plan " + plan.getIndex() + " applied in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "network plan " + plan.getIndex() + " not applied, retrying: " + e.getMessage());
            if (pending.compareAndSet(null, plan)) {
                worker.schedule(this::drain, 1, TimeUnit.SECONDS);
            }
        }
    }

    private void apply(NetworkPlan plan) {
        Map<String, OverlayPlan> want = new LinkedHashMap<>();
        for (OverlayPlan o : plan.getOverlaysList()) {
            want.put(o.getNetworkId(), o);
        }
        if (!startedClean) {
            removeStrayOverlays(want);
            startedClean = true;
        }
        // the overlays no longer wanted go first: a wanted one may take a VNI they hold (a swarm left and a new
        // one initialised: its ingress is another network with the same VNI 4096, and adding its VXLAN device
        // failed with "A VXLAN device with the specified VNI already exists" until the old one was gone)
        for (Iterator<Map.Entry<String, OverlayState>> it = overlays.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, OverlayState> e = it.next();
            if (!want.containsKey(e.getKey())) {
                if (e.getValue().namespace.equals(sandboxOverlay())) {
                    removeSandbox();
                }
                sh.run(List.of("ip", "netns", "del", e.getValue().namespace), null);
                it.remove();
            }
        }
        if (!want.isEmpty()) {
            ensureGateway();
        }
        for (OverlayPlan o : want.values()) {
            ensureOverlay(o);
        }
        OverlayPlan ingress = want.values().stream().filter(OverlayPlan::getIngress).findFirst().orElse(null);
        if (ingress != null && plan.getIngressSandbox().getAddressesCount() > 0) {
            ensureSandbox(ingress, plan);
            List<Step> mesh = lb.mesh(plan.getPublishedPortsList(), "eth0");
            if (!mesh.equals(meshApplied)) {
                runAll(mesh, List.of("nsenter", "--net=/run/netns/" + NetNames.INGRESS_SBOX));
                meshApplied = mesh;
            }
            String host = NftScripts.hostPorts(plan.getPublishedPortsList());
            if (!host.equals(hostApplied)) {
                sh.check(List.of("nft", "-f", "-"), host);
                hostApplied = host;
            }
        } else if (sandboxKey != null || hostApplied != null) {
            removeSandbox();
            sh.run(List.of("nft", "-f", "-"), "table ip " + NftScripts.HOST_TABLE + "\ndelete table ip "
                    + NftScripts.HOST_TABLE + "\n");
            hostApplied = null;
        }
        applied = plan;
        lock.notifyAll();
        for (Iterator<LocalTask> it = tasks.values().iterator(); it.hasNext(); ) {
            LocalTask t = it.next();
            if (!Files.exists(Path.of("/proc/" + t.pid + "/ns/net"))) {
                it.remove();
                if (dns != null) {
                    dns.unregister(t.taskId);
                }
                continue;
            }
            try {
                applyVips(t);
            } catch (NetException e) {
                LOG.warning("VIP rules of task " + t.taskId + ": " + e.getMessage());
            }
        }
    }

    private String sandboxOverlay() {
        return sandboxKey == null ? "" : sandboxKey.substring(0, sandboxKey.indexOf('|'));
    }

    /** After an agent restart: overlay namespaces no plan names any more. */
    private void removeStrayOverlays(Map<String, OverlayPlan> want) {
        Set<String> keep = new HashSet<>();
        want.keySet().forEach(id -> keep.add(NetNames.overlayNamespace(id)));
        for (String ns : namespaces()) {
            if (NetNames.isOverlayNamespace(ns) && !keep.contains(ns)) {
                sh.run(List.of("ip", "netns", "del", ns), null);
            }
        }
        if (want.isEmpty() && namespaces().contains(NetNames.INGRESS_SBOX)) {
            sh.run(List.of("ip", "netns", "del", NetNames.INGRESS_SBOX), null);
        }
    }

    private Set<String> namespaces() {
        Set<String> names = new TreeSet<>();
        for (String line : sh.check(List.of("ip", "netns", "list"), null).split("\n")) {
            String l = line.strip();
            if (!l.isEmpty()) {
                names.add(l.split("\\s+")[0]);
            }
        }
        return names;
    }

    private void ensureGateway() {
        if (!gatewayReady) {
            engine.ensureGatewayBridge();
            // published ports arrive on the host and are forwarded to ingress_sbox: let them through the
            // engine's FORWARD policy (its DOCKER-USER chain is the place it leaves for that)
            List<String> rule = List.of("DOCKER-USER", "-o", NetNames.GWBRIDGE, "-d", NetNames.SBOX_GW_ADDRESS,
                    "-j", "ACCEPT");
            if (!sh.run(concat(List.of("iptables", "-C"), rule), null).ok()) {
                Shell.Result r = sh.run(concat(List.of("iptables", "-I"), rule), null);
                if (!r.ok()) {
                    LOG.warning("could not open FORWARD to ingress_sbox: " + r.err().strip());
                }
            }
            gatewayReady = true;
        }
    }

    private void ensureOverlay(OverlayPlan o) {
        OverlayState st = overlays.get(o.getNetworkId());
        if (st == null) {
            st = createOverlay(o);
            overlays.put(o.getNetworkId(), st);
        }
        Set<String> floods = new TreeSet<>(o.getPeerVtepsList());
        Map<String, NeighborEntry> neighbors = new LinkedHashMap<>();
        for (NeighborEntry n : o.getNeighborsList()) {
            neighbors.put(n.getIp(), n);
        }
        StringBuilder fdb = new StringBuilder();
        StringBuilder neigh = new StringBuilder();
        for (String v : st.floods) {
            if (!floods.contains(v)) {
                fdb.append("fdb del ").append(FLOOD_MAC).append(" dev ").append(VXLAN).append(" dst ").append(v)
                        .append(" self\n");
            }
        }
        for (String v : floods) {
            if (!st.floods.contains(v)) {
                fdb.append("fdb append ").append(FLOOD_MAC).append(" dev ").append(VXLAN).append(" dst ").append(v)
                        .append(" self permanent\n");
            }
        }
        for (NeighborEntry old : st.neighbors.values()) {
            NeighborEntry now = neighbors.get(old.getIp());
            if (now == null || !now.getMac().equals(old.getMac())) {
                fdb.append("fdb del ").append(old.getMac()).append(" dev ").append(VXLAN).append(" self\n");
                if (now == null) {
                    neigh.append("neigh del ").append(old.getIp()).append(" dev ").append(VXLAN).append('\n');
                }
            }
        }
        for (NeighborEntry n : neighbors.values()) {
            if (!n.equals(st.neighbors.get(n.getIp()))) {
                fdb.append("fdb replace ").append(n.getMac()).append(" dev ").append(VXLAN).append(" dst ")
                        .append(n.getVtep()).append(" self permanent\n");
                neigh.append("neigh replace ").append(n.getIp()).append(" lladdr ").append(n.getMac())
                        .append(" dev ").append(VXLAN).append(" nud permanent\n");
            }
        }
        // -force: an entry already gone (or already there) must not stop the rest of the batch
        if (fdb.length() > 0) {
            sh.run(List.of("bridge", "-n", st.namespace, "-force", "-batch", "-"), fdb.toString());
        }
        if (neigh.length() > 0) {
            sh.run(List.of("ip", "-n", st.namespace, "-force", "-batch", "-"), neigh.toString());
        }
        st.floods.clear();
        st.floods.addAll(floods);
        st.neighbors.clear();
        st.neighbors.putAll(neighbors);
    }

    /** The overlay's namespace with br0 and a fresh vxlan0 (its FDB then known to be empty). */
    private OverlayState createOverlay(OverlayPlan o) {
        String ns = NetNames.overlayNamespace(o.getNetworkId());
        if (!namespaces().contains(ns)) {
            sh.check(List.of("ip", "netns", "add", ns), null);
        }
        String links = sh.check(List.of("ip", "-n", ns, "-o", "link", "show"), null);
        StringBuilder b = new StringBuilder("link set lo up\n");
        if (!hasLink(links, "br0")) {
            b.append("link add br0 type bridge\n");
            if (!o.getGateway().isEmpty()) {
                b.append("addr add ").append(o.getGateway()).append(" dev br0\n");
            }
            b.append("link set br0 mtu ").append(NetNames.OVERLAY_MTU).append(" up\n");
        }
        if (hasLink(links, VXLAN)) {
            b.append("link del ").append(VXLAN).append('\n');
        }
        sh.check(List.of("ip", "-n", ns, "-batch", "-"), b.toString());
        // nothing filters inside an overlay namespace: frames crossing br0 need not be handed to the IP hooks
        // (br_netfilter's default, per namespace; absent where the kernel has no br_netfilter)
        sh.run(List.of("nsenter", "--net=/run/netns/" + ns, "sysctl", "-q", "-w",
                "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0",
                "net.bridge.bridge-nf-call-arptables=0"), null);
        String staging = NetNames.vxlanStaging((int) o.getVni());
        sh.run(List.of("ip", "link", "del", staging), null);
        sh.check(List.of("ip", "link", "add", staging, "type", "vxlan", "id", Integer.toString(o.getVni()),
                "dstport", Integer.toString(NetNames.VXLAN_PORT), "nolearning", "proxy"), null);
        sh.check(List.of("ip", "link", "set", staging, "netns", ns), null);
        sh.check(List.of("ip", "-n", ns, "-batch", "-"), "link set " + staging + " name " + VXLAN + "\n"
                + "link set " + VXLAN + " master br0 mtu " + NetNames.OVERLAY_MTU + " up\n");
        return new OverlayState(ns);
    }

    private static boolean hasLink(String ipOneline, String name) {
        for (String line : ipOneline.split("\n")) {
            // "12: br0: <BROADCAST,...", "13: vxlan0@if5: ..."
            String[] parts = line.split(":\\s+", 3);
            if (parts.length >= 2) {
                String n = parts[1];
                int at = n.indexOf('@');
                if ((at < 0 ? n : n.substring(0, at)).equals(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void ensureSandbox(OverlayPlan ingress, NetworkPlan plan) {
        String overlayNs = NetNames.overlayNamespace(ingress.getNetworkId());
        String address = plan.getIngressSandbox().getAddresses(0);
        String mac = plan.getIngressSandbox().getMac();
        String key = overlayNs + "|" + address + "|" + mac;
        if (key.equals(sandboxKey)) {
            return;
        }
        removeSandbox();
        String sbox = NetNames.INGRESS_SBOX;
        sh.check(List.of("ip", "netns", "add", sbox), null);
        sh.run(List.of("ip", "link", "del", "vs-in0"), null);
        sh.run(List.of("ip", "link", "del", "vs-gw0"), null);
        sh.check(List.of("ip", "-batch", "-"), "link add vs-in0 type veth peer name vs-in1\n"
                + "link set vs-in0 netns " + overlayNs + "\n"
                + "link set vs-in1 netns " + sbox + "\n"
                + "link add vs-gw0 type veth peer name vs-gw1\n"
                + "link set vs-gw1 netns " + sbox + "\n"
                + "link set vs-gw0 master " + NetNames.GWBRIDGE + " up\n");
        sh.check(List.of("ip", "-n", overlayNs, "-batch", "-"),
                "link set vs-in0 master br0 mtu " + NetNames.OVERLAY_MTU + " up\n");
        StringBuilder in = new StringBuilder("link set lo up\n")
                .append("link set vs-in1 name eth0\n");
        if (!mac.isEmpty()) {
            in.append("link set eth0 address ").append(mac).append('\n');
        }
        in.append("link set eth0 mtu ").append(NetNames.OVERLAY_MTU).append(" up\n")
                .append("addr add ").append(address).append(" dev eth0\n")
                .append("link set vs-gw1 name eth1\n")
                .append("link set eth1 address ").append(NetNames.SBOX_GW_MAC).append(" up\n")
                .append("addr add ").append(NetNames.SBOX_GW_ADDRESS).append("/16 dev eth1\n")
                .append("route add default via ").append(NetNames.GWBRIDGE_GATEWAY).append('\n');
        sh.check(List.of("ip", "-n", sbox, "-batch", "-"), in.toString());
        sh.check(List.of("nsenter", "--net=/run/netns/" + sbox, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"), null);
        sandboxKey = key;
        meshApplied = null;
    }

    private void removeSandbox() {
        if (sandboxKey != null || namespaces().contains(NetNames.INGRESS_SBOX)) {
            sh.run(List.of("ip", "netns", "del", NetNames.INGRESS_SBOX), null);
        }
        sandboxKey = null;
        meshApplied = null;
    }

    @Override
    public NetworkPlan plan() {
        return applied();
    }

    @Override
    public Map<String, List<Endpoint>> endpoints() {
        Map<String, List<Endpoint>> out = new HashMap<>();
        synchronized (lock) {
            for (LocalTask t : tasks.values()) {
                for (NetworkAttachment a : t.attachments) {
                    out.computeIfAbsent(a.getNetworkId(), k -> new ArrayList<>())
                            .add(new Endpoint(t.containerId, t.name, a.getMac(), a.getAddresses(0)));
                }
            }
            if (sandboxKey != null) {
                for (OverlayPlan o : applied.getOverlaysList()) {
                    if (o.getIngress()) {
                        out.computeIfAbsent(o.getNetworkId(), k -> new ArrayList<>()).add(new Endpoint(
                                "ingress-sbox", "ingress-endpoint", applied.getIngressSandbox().getMac(),
                                applied.getIngressSandbox().getAddresses(0)));
                    }
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ tasks

    @Override
    public String networkMode(Task task) {
        if (overlayAttachments(task).isEmpty()) {
            return defaultMode;
        }
        synchronized (lock) {
            ensureGateway();
        }
        return NetNames.GWBRIDGE;
    }

    /** The task's attachments that have an address: its overlays (ingress first, as allocated). */
    static List<NetworkAttachment> overlayAttachments(Task task) {
        List<NetworkAttachment> out = new ArrayList<>();
        for (NetworkAttachment a : task.getNetworksList()) {
            if (a.getAddressesCount() > 0) {
                out.add(a);
            }
        }
        return out;
    }

    @Override
    public void attach(Task task, ObservedContainer container) {
        List<NetworkAttachment> atts = overlayAttachments(task);
        if (atts.isEmpty()) {
            return;
        }
        int pid = container.pid();
        if (pid <= 0) {
            throw new NetException("container " + container.id() + " has no process");
        }
        String taskId = task.getMeta().getId();
        Map<String, String> namespaces = awaitOverlays(atts, 15_000);
        List<String> inTask = List.of("nsenter", "-t", Integer.toString(pid), "-n");
        String gwIf = "eth" + atts.size();
        StringBuilder host = new StringBuilder();
        StringBuilder inside = new StringBuilder("link set eth0 down\nlink set eth0 name " + gwIf + "\n"
                + "link set " + gwIf + " up\nroute replace default via " + NetNames.GWBRIDGE_GATEWAY + " dev "
                + gwIf + "\n");
        Map<String, StringBuilder> perOverlay = new LinkedHashMap<>();
        for (int i = 0; i < atts.size(); i++) {
            NetworkAttachment a = atts.get(i);
            String outer = NetNames.taskVethOverlayEnd(taskId, i);
            String inner = NetNames.taskVethContainerEnd(taskId, i);
            String ns = namespaces.get(a.getNetworkId());
            host.append("link add ").append(outer).append(" type veth peer name ").append(inner).append('\n')
                    .append("link set ").append(outer).append(" netns ").append(ns).append('\n')
                    .append("link set ").append(inner).append(" netns ").append(pid).append('\n');
            perOverlay.computeIfAbsent(ns, k -> new StringBuilder()).append("link set ").append(outer)
                    .append(" master br0 mtu ").append(NetNames.OVERLAY_MTU).append(" up\n");
            inside.append("link set ").append(inner).append(" name eth").append(i).append('\n');
            if (!a.getMac().isEmpty()) {
                inside.append("link set eth").append(i).append(" address ").append(a.getMac()).append('\n');
            }
            inside.append("link set eth").append(i).append(" mtu ").append(NetNames.OVERLAY_MTU).append(" up\n")
                    .append("addr add ").append(a.getAddresses(0)).append(" dev eth").append(i).append('\n');
        }
        String out;
        List<Step> vipsInPlace;
        synchronized (lock) {
            sh.check(List.of("ip", "-batch", "-"), host.toString());
            for (Map.Entry<String, StringBuilder> e : perOverlay.entrySet()) {
                sh.check(List.of("ip", "-n", e.getKey(), "-batch", "-"), e.getValue().toString());
            }
            // one process in the task's namespace instead of five (each a fork and exec on a replacement's path):
            // the engine's address on docker_gwbridge (eth0 until renamed), the interfaces, route_localnet for
            // the DNS redirect, the redirect and (when they are nftables rules) the VIP rules in one nft script
            Set<String> networkIds = new HashSet<>();
            atts.forEach(a -> networkIds.add(a.getNetworkId()));
            List<Step> vips = lb.vips(vipsOf(networkIds));
            boolean vipsInScript = vips.stream().allMatch(v -> v.argv().equals(NFT_SCRIPT) && v.stdin() != null);
            StringBuilder nft = new StringBuilder(NftScripts.dnsRedirect(dnsAddress));
            if (vipsInScript) {
                vips.forEach(v -> nft.append(v.stdin()));
            }
            out = sh.check(concat(inTask, List.of("sh", "-c", "set -e\n"
                    + "ip -o -4 addr show dev eth0\n"
                    + "ip -batch - <<'EOF'\n" + inside + "EOF\n"
                    + "sysctl -q -w net.ipv4.conf." + gwIf + ".route_localnet=1\n"
                    + "nft -f -\n")), nft.toString());
            vipsInPlace = vipsInScript ? vips : List.of();
        }
        remember(task, container, atts, firstAddress(out), vipsInPlace);
    }

    /**
     * Keeps a task whose interfaces are in place: its VIP rules follow the plans (those given are in place
     * already), dns-svc knows its source.
     */
    private void remember(Task task, ObservedContainer container, List<NetworkAttachment> atts, String gwAddress,
                          List<Step> vipsInPlace) {
        synchronized (lock) {
            LocalTask t = new LocalTask(task.getMeta().getId(), container.pid(), gwAddress, container.id(),
                    TaskContainers.containerName(task, task.getNodeId()), atts);
            t.vipSteps = vipsInPlace;
            tasks.put(t.taskId, t);
            applyVips(t);
        }
        if (dns != null && !gwAddress.isEmpty()) {
            dns.register(task.getMeta().getId(), gwAddress);
        }
    }

    @Override
    public void adopt(Task task, ObservedContainer container) {
        List<NetworkAttachment> atts = overlayAttachments(task);
        if (atts.isEmpty() || container.pid() <= 0) {
            return;
        }
        List<String> inTask = List.of("nsenter", "-t", Integer.toString(container.pid()), "-n");
        String addrs = sh.check(concat(inTask, List.of("ip", "-o", "-4", "addr")), null);
        if (!addrs.contains(" " + atts.get(0).getAddresses(0) + " ")) {
            LOG.warning("task " + task.getMeta().getId() + " runs without its overlay interfaces: not adopted");
            return;
        }
        String gwIf = "eth" + atts.size();
        remember(task, container, atts, firstAddress(sh.check(concat(inTask, List.of("ip", "-o", "-4", "addr",
                "show", "dev", gwIf)), null)), List.of());
    }

    /** Waits until the applied plan has every overlay the task needs; their namespaces by network id. */
    private Map<String, String> awaitOverlays(List<NetworkAttachment> atts, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        synchronized (lock) {
            while (true) {
                Map<String, String> found = new HashMap<>();
                String missing = null;
                for (NetworkAttachment a : atts) {
                    OverlayState st = overlays.get(a.getNetworkId());
                    if (st == null) {
                        missing = a.getNetworkId();
                    } else {
                        found.put(a.getNetworkId(), st.namespace);
                    }
                }
                if (missing == null) {
                    return found;
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new NetException("network " + missing + " is not set up on this node");
                }
                try {
                    lock.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NetException("interrupted waiting for network " + missing);
                }
            }
        }
    }

    private void applyVips(LocalTask t) {
        List<Step> steps = lb.vips(vipsOf(t.networkIds));
        if (!steps.equals(t.vipSteps)) {
            runAll(steps, List.of("nsenter", "-t", Integer.toString(t.pid), "-n"));
            t.vipSteps = steps;
        }
    }

    /** The applied plan's VIPs on these networks. */
    private List<VipBackends> vipsOf(Set<String> networkIds) {
        List<VipBackends> vips = new ArrayList<>();
        for (VipBackends v : applied.getVipsList()) {
            if (networkIds.contains(v.getNetworkId())) {
                vips.add(v);
            }
        }
        return vips;
    }

    private void runAll(List<Step> steps, List<String> prefix) {
        for (Step s : steps) {
            sh.check(concat(prefix, s.argv()), s.stdin());
        }
    }

    private static String firstAddress(String ipOneline) {
        // "5: eth0    inet 172.18.0.3/16 brd 172.18.255.255 scope global eth0\..."
        int i = ipOneline.indexOf(" inet ");
        if (i < 0) {
            return "";
        }
        String rest = ipOneline.substring(i + 6).strip();
        return NetNames.bare(rest.split("\\s+")[0]);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a.size() + b.size());
        out.addAll(a);
        out.addAll(b);
        return out;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
