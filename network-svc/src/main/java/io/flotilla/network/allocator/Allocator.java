package io.flotilla.network.allocator;

import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.IPAMConfig;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.network.ipam.Ipam;
import io.flotilla.network.ipam.IpamException;
import io.flotilla.network.ipam.VniAllocator;
import io.flotilla.network.view.NetworkView;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One level-based allocation pass over the view: releases what deleted or ended objects held, creates the
 * ingress network once a cluster exists, then allocates what is missing, in an order that restores the
 * allocations stored objects already carry before anything new is handed out (so that a restart never gives
 * a running task's address to another). Produces the store changes (compare-and-set on the versions read);
 * never writes the view. A failure is written where users see it: Network.allocation_error (the api-gateway
 * answers a create with it), Service.allocation_error, and the status error of a task that is not running yet
 * (with the reason of its network when that is what could not be allocated).
 */
public final class Allocator {
    public static final String TASK_ERROR_PREFIX = "network allocation failed: ";

    private final Ipam ipam;

    public Allocator(Ipam ipam) {
        this.ipam = ipam;
    }

    public Ipam ipam() {
        return ipam;
    }

    /** The changes of one pass. */
    public List<Change> reconcile(NetworkView view, long nowMs) {
        List<Change> changes = new ArrayList<>();
        releaseGone(view);

        List<Network> nets = new ArrayList<>(view.networks());
        nets.sort(Comparator.comparing((Network n) -> n.getVni() == 0).thenComparing(n -> n.getMeta().getCreatedAtMs())
                .thenComparing(n -> n.getMeta().getId()));
        Map<String, String> failed = new HashMap<>();
        for (Network n : nets) {
            if (ipam.isAllocated(n)) {
                continue;
            }
            Network a;
            try {
                a = ipam.allocate(n);
            } catch (IpamException e) {
                failed.put(n.getMeta().getId(), e.getMessage());
                a = n.toBuilder().setAllocationError(e.getMessage()).build();
                if (!a.equals(n)) {
                    java.util.logging.Logger.getLogger(Allocator.class.getName())
                            .warning("network " + n.getName() + ": " + e.getMessage());
                }
            }
            if (!a.equals(n)) {
                changes.add(update(Kind.KIND_NETWORK, n.getMeta(), StoredObject.newBuilder().setNetwork(a).build()));
            }
        }
        Change ingress = ingressCreate(view, nowMs);
        if (ingress != null) {
            changes.add(ingress);
        }

        List<Node> nodes = sorted(view.nodes(), n -> n.getMeta().getCreatedAtMs(), n -> n.getMeta().getId());
        List<Service> services = sorted(view.services(), s -> s.getMeta().getCreatedAtMs(), s -> s.getMeta().getId());
        List<Task> tasks = new ArrayList<>();
        for (Task t : view.tasks()) {
            if (live(t)) {
                tasks.add(t);
            }
        }
        tasks.sort(Comparator.comparing((Task t) -> t.getMeta().getCreatedAtMs()).thenComparing(t -> t.getMeta().getId()));

        for (boolean restore : new boolean[]{true, false}) {
            for (Node n : nodes) {
                if (n.getAttachmentsCount() > 0 == restore && !ipam.isAllocated(n)) {
                    try {
                        Node a = ipam.allocate(n);
                        if (!a.equals(n)) {
                            changes.add(update(Kind.KIND_NODE, n.getMeta(), StoredObject.newBuilder().setNode(a).build()));
                        }
                    } catch (IpamException e) {
                        java.util.logging.Logger.getLogger(Allocator.class.getName())
                                .warning("node " + n.getMeta().getId() + ": " + e.getMessage());
                    }
                }
            }
            for (Service s : services) {
                boolean carries = s.getEndpoint().getVirtualIpsCount() > 0 || s.getEndpoint().getPortsCount() > 0;
                if (carries == restore && !ipam.isAllocated(s)) {
                    Service a;
                    try {
                        a = ipam.allocate(s);
                    } catch (IpamException e) {
                        a = s.toBuilder().setAllocationError(explain(e, s.getSpec().getTask().getNetworksList(), view,
                                failed)).build();
                    }
                    if (!a.equals(s)) {
                        changes.add(update(Kind.KIND_SERVICE, s.getMeta(), StoredObject.newBuilder().setService(a).build()));
                    }
                }
            }
            for (Task t : tasks) {
                if (t.getNetworksCount() > 0 == restore && !ipam.isAllocated(t)) {
                    Task a;
                    try {
                        a = ipam.allocate(t);
                        if (a.getStatus().getErr().startsWith(TASK_ERROR_PREFIX)) {
                            a = a.toBuilder().setStatus(a.getStatus().toBuilder().setErr("")).build();
                        }
                    } catch (IpamException e) {
                        a = t;
                        if (t.getStatus().getState().getNumber() <= TaskState.TASK_PENDING.getNumber()) {
                            a = t.toBuilder().setStatus(t.getStatus().toBuilder()
                                    .setErr(TASK_ERROR_PREFIX + explain(e, t.getSpec().getNetworksList(), view, failed)))
                                    .build();
                        }
                    }
                    if (!a.equals(t)) {
                        changes.add(update(Kind.KIND_TASK, t.getMeta(), StoredObject.newBuilder().setTask(a).build()));
                    }
                }
            }
        }
        return changes;
    }

    /**
     * The error a service or task gets: when one of its networks exists but could not be allocated (the IPAM
     * knows only allocated networks, and would say "not found"), that network's own reason.
     */
    private String explain(IpamException e, List<NetworkAttachmentConfig> targets, NetworkView view,
                           Map<String, String> failed) {
        for (NetworkAttachmentConfig c : targets) {
            if (ipam.resolve(c.getTarget()) != null) {
                continue;
            }
            Network n = unallocated(view, c.getTarget());
            if (n != null) {
                String reason = failed.getOrDefault(n.getMeta().getId(), n.getAllocationError());
                return "network " + n.getName() + " could not be allocated: "
                        + (reason.isEmpty() ? "its allocation is pending" : reason);
            }
        }
        return e.getMessage();
    }

    /** A stored network that the IPAM does not hold, by id, else name, else unique id prefix (as Ipam.resolve). */
    private Network unallocated(NetworkView view, String target) {
        Network byPrefix = null;
        int prefixMatches = 0;
        for (Network n : view.networks()) {
            if (n.getMeta().getId().equals(target) || n.getName().equals(target)) {
                return ipam.network(n.getMeta().getId()) == null ? n : null;
            }
            if (n.getMeta().getId().startsWith(target)) {
                byPrefix = n;
                prefixMatches++;
            }
        }
        return prefixMatches == 1 && ipam.network(byPrefix.getMeta().getId()) == null ? byPrefix : null;
    }

    /** A task holds its addresses while the managers want it and it has not ended. */
    public static boolean live(Task t) {
        return t.getDesiredState().getNumber() <= TaskState.TASK_RUNNING.getNumber()
                && t.getStatus().getState().getNumber() < TaskState.TASK_COMPLETE.getNumber()
                || t.getStatus().getState().getNumber() >= TaskState.TASK_ASSIGNED.getNumber()
                && t.getStatus().getState().getNumber() < TaskState.TASK_COMPLETE.getNumber();
    }

    private void releaseGone(NetworkView view) {
        for (String holder : new ArrayList<>(ipam.holders())) {
            int slash = holder.indexOf('/');
            String kind = holder.substring(0, slash);
            String id = holder.substring(slash + 1);
            boolean gone = switch (kind) {
                case "network" -> view.network(id) == null;
                case "service" -> view.service(id) == null;
                case "task" -> view.task(id) == null || !live(view.task(id));
                case "node" -> view.node(id) == null;
                default -> false;
            };
            if (gone) {
                ipam.releaseHolder(holder);
            }
        }
    }

    private Change ingressCreate(NetworkView view, long nowMs) {
        if (view.clusters().isEmpty()) {
            return null;
        }
        for (Network n : view.networks()) {
            if (n.getIngress() || n.getName().equals(Ipam.INGRESS_NAME)) {
                return null;
            }
        }
        String clusterId = view.clusters().iterator().next().getMeta().getId();
        Network ingress = Network.newBuilder()
                .setMeta(Meta.newBuilder().setId(ingressId(clusterId)).setCreatedAtMs(nowMs).setUpdatedAtMs(nowMs))
                .setName(Ipam.INGRESS_NAME).setDriver("overlay").setIngress(true)
                .addIpam(IPAMConfig.newBuilder().setSubnet(Ipam.INGRESS_SUBNET).setGateway(Ipam.INGRESS_GATEWAY))
                .setVni(VniAllocator.INGRESS_VNI)
                .build();
        try {
            ingress = ipam.allocate(ingress);
        } catch (IpamException e) {
            java.util.logging.Logger.getLogger(Allocator.class.getName()).warning("ingress: " + e.getMessage());
            return null;
        }
        return Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_NETWORK).setId(ingress.getMeta().getId())
                .setObject(StoredObject.newBuilder().setNetwork(ingress)).build();
    }

    /**
     * The ingress network's id, derived from the cluster's: every network-svc proposes the same create and the
     * store takes one (ALREADY_EXISTS for the others). 25 lower-case base-36 characters, like Swarm's ids.
     */
    public static String ingressId(String clusterId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("ingress\u0000" + clusterId)
                    .getBytes(StandardCharsets.UTF_8));
            String s = new BigInteger(1, d).toString(36);
            s = "0".repeat(Math.max(0, 25 - s.length())) + s;
            return s.substring(s.length() - 25);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Change update(Kind kind, Meta read, StoredObject updated) {
        return Change.newBuilder().setOp(Op.OP_UPDATE).setKind(kind).setId(read.getId())
                .setExpectedVersion(read.getVersion()).setObject(updated).build();
    }

    private static <T> List<T> sorted(java.util.Collection<T> in, java.util.function.ToLongFunction<T> created,
                                      java.util.function.Function<T, String> id) {
        List<T> out = new ArrayList<>(in);
        out.sort(Comparator.comparingLong(created).thenComparing(id));
        return out;
    }

    @SuppressWarnings("unused")
    private static <T> Predicate<T> not(Predicate<T> p) {
        return p.negate();
    }
}
