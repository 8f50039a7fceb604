package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.JoinRequest;
import io.flotilla.contracts.v1.JoinResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.state.ca.Clusters;
import io.flotilla.state.ca.NodeCertificates;
import io.flotilla.state.store.StateStore;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Swarm membership on the manager side: joins (token check, the Node, its certificate), the Raft
 * members' addresses an agent needs to start a manager, and the role reconciliation the leader runs:
 * a node whose desired role is manager is added to the Raft group once its store shows up in the
 * group view (a promoted or manager-joined node starts its store first), a node whose desired role is
 * worker is removed from it, and every node's role in force follows Raft membership.
 *
 * <p>Reconciliation looks only at the nodes it can act on: those whose desired role or role in force is
 * manager (or that carry a manager status) and the Raft members. A watch of the nodes keeps that set of ids
 * (a handful among thousands of workers); each step reads those nodes afresh from the store. Until the
 * watch's snapshot is in (and after the watch ended, until the next one's is), a step lists every node.
 */
public final class Membership {
    private static final Logger LOG = Logger.getLogger(Membership.class);
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final int RAFT_PORT = 7946;

    /** A refused join or session: PERMISSION_DENIED on the wire. */
    public static final class Denied extends RuntimeException {
        public Denied(String message) {
            super(message);
        }
    }

    private final StateStore store;
    private final RaftMembership raft;
    private final LongSupplier clock;
    private final AtomicBoolean changing = new AtomicBoolean();
    private final Map<String, Long> inViewSince = new java.util.concurrent.ConcurrentHashMap<>();
    static final long STABLE_IN_VIEW_MS = 5000;
    /** The watch of the nodes that keeps the candidates' ids; replaced when it ends. Reconcile's thread only. */
    private Candidates candidates;
    private volatile boolean closed;

    public Membership(StateStore store, RaftMembership raft, LongSupplier clockMs) {
        this.store = store;
        this.raft = raft;
        this.clock = clockMs;
    }

    public RaftMembership raft() {
        return raft;
    }

    Optional<Cluster> cluster() {
        return Clusters.current(store);
    }

    /** Whether the node was removed from the swarm (its id is on the cluster's revoked list). */
    public boolean revoked(String nodeId) {
        return Clusters.revoked(store, nodeId);
    }

    /**
     * A new certificate for a node's existing key (its session's certificate's), with the given role: what a
     * promoted or demoted node, or one whose certificate is getting old, is sent in its SessionStarted.
     */
    public String renew(String nodeId, byte[] publicKeyDer, NodeRole role) {
        Cluster cluster = cluster().orElseThrow(() -> new IllegalStateException("the swarm has no cluster object yet"));
        if (revoked(nodeId)) {
            throw new Denied("node " + nodeId + " was removed from the swarm");
        }
        String cert = NodeCertificates.issue(cluster.getCaCertPem(), cluster.getCaKeyPem(), publicKeyDer, nodeId, role,
                cluster.getMeta().getId(), clock.getAsLong());
        LOG.infof("node %s: certificate renewed as %s", nodeId, NodeCertificates.organizationalUnit(role));
        return cert;
    }

    /** docker swarm join: check the token, create the node, sign its key. */
    public CompletionStage<JoinResponse> join(JoinRequest request) {
        Cluster cluster = cluster().orElse(null);
        if (cluster == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the swarm has no cluster object yet"));
        }
        Optional<NodeRole> role = JoinTokenCheck.roleFor(cluster, request.getToken());
        if (role.isEmpty()) {
            return CompletableFuture.failedFuture(new Denied(JoinTokenCheck.INVALID));
        }
        String id = newId();
        String cert;
        try {
            cert = NodeCertificates.issue(cluster.getCaCertPem(), cluster.getCaKeyPem(),
                    request.getPublicKeyDer().toByteArray(), id, role.get(), cluster.getMeta().getId(), clock.getAsLong());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        long now = clock.getAsLong();
        Node node = Node.newBuilder()
                .setMeta(Meta.newBuilder().setId(id).setCreatedAtMs(now).setUpdatedAtMs(now))
                .setSpec(NodeSpec.newBuilder().setName("").setDesiredRole(role.get())
                        .setAvailability(request.getAvailability()))
                .setDescription(request.getDescription())
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_UNKNOWN).setAddr(request.getAddr()))
                .setRole(NodeRole.ROLE_WORKER) // the role in force: a manager once it is a Raft member
                .setCertificatePem(cert)
                .build();
        Change create = Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_NODE).setId(id).setExpectedVersion(0)
                .setObject(StoredObject.newBuilder().setNode(node)).build();
        return store.apply(ApplyRequest.newBuilder().addChanges(create).build()).thenApply(r -> {
            if (r.getOutcomesCount() == 0 || r.getOutcomes(0).getResult() != ChangeResult.RESULT_OK) {
                throw new IllegalStateException("cannot create the node: "
                        + (r.getOutcomesCount() == 0 ? "no outcome" : r.getOutcomes(0).getResult() + " " + r.getOutcomes(0).getMessage()));
            }
            LOG.infof("node %s (%s, %s) joined as a %s", id, request.getDescription().getHostname(), request.getAddr(),
                    role.get() == NodeRole.ROLE_MANAGER ? "manager" : "worker");
            return JoinResponse.newBuilder().setNodeId(id).setRole(role.get()).setCertificatePem(cert)
                    .setCaCertPem(cluster.getCaCertPem()).addAllManagers(managerAddresses())
                    .addAllRaftMembers(raftMembers()).build();
        });
    }

    /** ip:2377 of every manager the store knows with an address. */
    public List<String> managerAddresses() {
        List<String> out = new ArrayList<>();
        for (Node n : nodes()) {
            if (n.getRole() == NodeRole.ROLE_MANAGER && !n.getStatus().getAddr().isEmpty()) {
                out.add(io.flotilla.contracts.ManagerAddress.of(n.getStatus().getAddr()));
            }
        }
        return out;
    }

    /** raft_id@ip:7946 of every Raft member (address from its node, else from this manager's configuration). */
    public List<String> raftMembers() {
        Map<String, Node> byId = nodes().stream().collect(Collectors.toMap(n -> n.getMeta().getId(), n -> n, (a, b) -> a));
        List<String> out = new ArrayList<>();
        for (String id : raft.members()) {
            Node n = byId.get(id);
            String addr = n != null && !n.getStatus().getAddr().isEmpty() ? n.getStatus().getAddr() + ":" + RAFT_PORT
                    : raft.configuredAddress(id);
            if (!addr.isEmpty()) {
                out.add(id + "@" + addr);
            }
        }
        return out;
    }

    /** The role a node is to have (its spec), if the node exists. */
    public Optional<NodeRole> desiredRole(String nodeId) {
        return store.get(Kind.KIND_NODE, nodeId).filter(StoredObject::hasNode)
                .map(o -> o.getNode().getSpec().getDesiredRole());
    }

    private List<Node> nodes() {
        return store.list(Kind.KIND_NODE, Map.of()).stream().filter(StoredObject::hasNode).map(StoredObject::getNode).toList();
    }

    /**
     * Whether reconciliation may have to act on the node whatever the Raft membership: it is or is to be a
     * manager. A node for which this is false is looked at only while it is a Raft member.
     */
    static boolean candidate(Node n) {
        return n.getSpec().getDesiredRole() == NodeRole.ROLE_MANAGER || n.getRole() == NodeRole.ROLE_MANAGER
                || n.hasManagerStatus();
    }

    /** The ids of the candidate nodes, kept by one watch of the nodes (its listener runs on the store's thread). */
    private final class Candidates {
        final Set<String> ids = java.util.concurrent.ConcurrentHashMap.newKeySet();
        volatile boolean synced;
        volatile boolean ended;
        final StateStore.Watch watch;

        Candidates() {
            watch = store.watch(Set.of(Kind.KIND_NODE), 0, this::onNodes, e -> {
                ended = true;
                LOG.infof("role reconciliation: the watch of the nodes ended (%s); watching again", e.getMessage());
            });
        }

        private void onNodes(WatchResponse r) {
            for (StateEvent e : r.getEventsList()) {
                if (e.getKind() != Kind.KIND_NODE) {
                    continue;
                }
                if (e.getOp() != Op.OP_DELETE && e.getObject().hasNode() && candidate(e.getObject().getNode())) {
                    ids.add(e.getId());
                } else {
                    ids.remove(e.getId());
                }
            }
            if (r.getSnapshotComplete()) {
                synced = true;
            }
        }
    }

    /**
     * The nodes a step looks at: the candidates and the members, read now from the store (every node, listed,
     * while the watch's snapshot is not in).
     */
    private List<Node> reconciled(List<String> members) {
        Candidates c = candidates;
        if (c == null || c.ended) {
            if (c != null) {
                c.watch.close();
            }
            c = closed ? null : new Candidates();
            candidates = c;
        }
        if (c == null || !c.synced) {
            return nodes();
        }
        Set<String> ids = new LinkedHashSet<>(c.ids);
        ids.addAll(members);
        List<Node> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            store.get(Kind.KIND_NODE, id).filter(StoredObject::hasNode).ifPresent(o -> out.add(o.getNode()));
        }
        return out;
    }

    /** Ends the watch of the nodes (the manager stops). */
    public void close() {
        closed = true;
        Candidates c = candidates;
        if (c != null) {
            c.watch.close();
        }
    }

    /** One step of the leader's role reconciliation (see the class comment). Safe to call on any manager. */
    public void reconcile() {
        if (!raft.isLeader()) {
            return;
        }
        List<String> members = raft.members();
        List<Node> nodes = reconciled(members);
        // a manager is added only once it has been in the group view for a while: a store that just
        // connected is often still starting (and, on a loaded host, stalls), and a two-member group
        // whose new member stalls has no quorum
        long now = clock.getAsLong();
        List<String> inView = raft.reachable();
        inViewSince.keySet().retainAll(inView);
        inView.forEach(id -> inViewSince.putIfAbsent(id, now));
        List<String> reachable = inView.stream().filter(id -> now - inViewSince.get(id) >= STABLE_IN_VIEW_MS).toList();
        Decision d = decide(nodes, members, reachable);
        if (d.change != null && changing.compareAndSet(false, true)) {
            CompletionStage<?> step = d.add ? raft.add(d.change) : raft.remove(d.change);
            LOG.infof("raft: %s member %s", d.add ? "adding" : "removing", d.change);
            step.whenComplete((v, e) -> {
                changing.set(false);
                if (e != null) {
                    LOG.warnf("raft: %s %s failed: %s", d.add ? "adding" : "removing", d.change, e.getMessage());
                } else {
                    LOG.infof("raft: members now %s", raft.members());
                }
            });
        }
        for (Node n : d.roleUpdates) {
            store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_UPDATE)
                    .setKind(Kind.KIND_NODE).setId(n.getMeta().getId()).setExpectedVersion(n.getMeta().getVersion())
                    .setObject(StoredObject.newBuilder().setNode(inForce(n, members, clock.getAsLong())))).build());
        }
    }

    /** The node with its role in force (and manager status) following Raft membership. */
    static Node inForce(Node n, List<String> members, long nowMs) {
        Node.Builder b = n.toBuilder().setMeta(n.getMeta().toBuilder().setUpdatedAtMs(nowMs));
        if (members.contains(n.getMeta().getId())) {
            b.setRole(NodeRole.ROLE_MANAGER)
                    .setManagerStatus(NodeStatusWriter.managerStatus(n.getMeta().getId(), n.getStatus().getAddr()));
        } else {
            b.setRole(NodeRole.ROLE_WORKER).clearManagerStatus();
        }
        return b.build();
    }

    /** What reconciliation does next: at most one Raft change, and the nodes whose role in force is stale. */
    record Decision(String change, boolean add, List<Node> roleUpdates) {
    }

    static Decision decide(List<Node> nodes, List<String> members, List<String> reachable) {
        String change = null;
        boolean add = false;
        List<Node> stale = new ArrayList<>();
        long managersWanted = nodes.stream().filter(n -> n.getSpec().getDesiredRole() == NodeRole.ROLE_MANAGER).count();
        for (Node n : nodes) {
            String id = n.getMeta().getId();
            boolean member = members.contains(id);
            NodeRole desired = n.getSpec().getDesiredRole();
            if (change == null && desired == NodeRole.ROLE_MANAGER && !member && reachable.contains(id)) {
                change = id;
                add = true;
            } else if (change == null && desired == NodeRole.ROLE_WORKER && member && members.size() > 1
                    && managersWanted >= 1) {
                change = id;
                add = false;
            }
            NodeRole inForce = member ? NodeRole.ROLE_MANAGER : NodeRole.ROLE_WORKER;
            if (n.getRole() != inForce || member != n.hasManagerStatus()) {
                stale.add(n);
            }
        }
        return new Decision(change, add, stale);
    }

    static String newId() {
        char[] c = new char[25];
        for (int i = 0; i < c.length; i++) {
            c[i] = ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length()));
        }
        return new String(c);
    }
}
