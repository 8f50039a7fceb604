package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.state.store.StateStore;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The manager's end of the agents' sessions, without the transport: registration, the assignment
 * sets (from one shared watch of tasks and nodes; a change after a quiet spell at once, a burst
 * debounced), heartbeats and node liveness, and the agents' status reports.
 */
public final class Dispatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Dispatcher.class);
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final StateStore store;
    private final DispatcherConfig config;
    private final ScheduledExecutorService executor;
    private final LongSupplier clock;
    private final NodeLiveness liveness;
    private final HostCheck hosts;
    private final NodeStatusWriter nodes;
    private final TaskStatusBatcher statuses;
    private final PlanRelay plans = new PlanRelay(this::openSession);

    private final Object lock = new Object();       // the index, sessions, dirty set; never held while calling the store
    private final Object watchLock = new Object();
    private final AssignmentIndex index = new AssignmentIndex();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, Session> sessions = new HashMap<>();          // by node id, guarded by lock
    private final Map<String, Long> ownVersions = new ConcurrentHashMap<>(); // node version after our last READY write
    private final Map<String, Orphan> orphans = new ConcurrentHashMap<>();  // adopted nodes (see adoptOrphans)
    /** The address of a node whose session here ended, until it registers again or is let go: where it is probed. */
    private final Map<String, String> endedAddrs = new ConcurrentHashMap<>();
    private volatile long orphansCheckedMs = Long.MIN_VALUE / 2;
    private StateStore.Watch watch;
    private boolean flushScheduled;
    private final LeadingEdge flushes; // guarded by lock
    private ScheduledFuture<?> livenessLoop;
    private volatile boolean closed;
    private volatile Membership membership;

    public Dispatcher(StateStore store, DispatcherConfig config, ScheduledExecutorService executor, LongSupplier clockMs) {
        this(store, config, executor, clockMs, HostCheck.NONE);
    }

    public Dispatcher(StateStore store, DispatcherConfig config, ScheduledExecutorService executor, LongSupplier clockMs,
                      HostCheck hosts) {
        this.store = store;
        this.config = config;
        this.flushes = new LeadingEdge(config.debounceMs());
        this.executor = executor;
        this.clock = clockMs;
        this.hosts = hosts;
        this.liveness = new NodeLiveness(clockMs, config.nodeDownGraceMs(), hosts.answersLimitMs(), hosts.recheckMs());
        this.nodes = new NodeStatusWriter(store, clockMs, config.maxRetries());
        this.statuses = new TaskStatusBatcher(store, executor, clockMs, config.statusBatchMs(), config.maxRetries());
    }

    /** Starts the node-liveness loop (when enabled). */
    public void start() {
        if (config.livenessEnabled()) {
            long every = config.livenessCheckMs();
            livenessLoop = executor.scheduleWithFixedDelay(this::checkLivenessSafely, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /** Membership (joins, revocation, roles); without it every node may register. */
    public void membership(Membership m) {
        this.membership = m;
    }

    public Membership membership() {
        return membership;
    }

    public DispatcherConfig config() {
        return config;
    }

    /** The nodes' network plans, which network-svc publishes and the sessions relay. */
    public PlanRelay plans() {
        return plans;
    }

    private Session openSession(String nodeId) {
        synchronized (lock) {
            Session s = sessions.get(nodeId);
            return s != null && s.open ? s : null;
        }
    }

    /**
     * Registers a node: writes it READY with its address and description, and returns its session,
     * which starts sending assignments once {@link Session#start()} is called.
     */
    public CompletionStage<Session> register(String nodeId, NodeDescription description, String addr, SessionSink sink) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("dispatcher stopped"));
        }
        if (nodeId == null || nodeId.isBlank()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("register without a node id"));
        }
        Membership m = membership;
        if (m != null && m.revoked(nodeId)) {
            return CompletableFuture.failedFuture(new Membership.Denied("node " + nodeId
                    + " was removed from the swarm: join again with a token"));
        }
        if (m != null && leftTheGroup(m.raft())) {
            // demoted: it can no longer write a node's status, so a registration here would wait out the agent's
            // register timeout; refused at once, the agent goes on to the next manager
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "this manager is no longer a member of the managers' Raft group: try another manager"));
        }
        try {
            ensureWatch();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        String self = selfId();
        return nodes.markReady(nodeId, description, addr, self).thenApply(version -> {
            ownVersions.put(nodeId, version);
            written.put(nodeId, Node.newBuilder().setDescription(description)
                    .setStatus(NodeStatusWriter.ready(addr, self)).build());
            liveness.seen(nodeId);
            orphans.remove(nodeId);
            return new Session(newId(), nodeId, description, addr, sink);
        });
    }

    private void ensureWatch() {
        synchronized (watchLock) {
            if (watch == null) {
                watch = store.watch(Set.of(Kind.KIND_TASK, Kind.KIND_NODE), 0, this::onWatch);
            }
        }
    }

    private void onWatch(WatchResponse response) {
        synchronized (lock) {
            Set<String> touched = index.apply(response);
            if (index.ready()) {
                for (String node : touched) {
                    if (sessions.containsKey(node)) {
                        dirty.add(node);
                    }
                }
                scheduleFlushLocked();
            }
        }
    }

    /**
     * A change after a quiet debounce window goes out at once (a replacement task is not held back); changes
     * that follow within the window are gathered until its end.
     */
    private void scheduleFlushLocked() {
        if (!flushScheduled && !dirty.isEmpty() && !closed) {
            flushScheduled = true;
            executor.schedule(this::flush, flushes.delay(clock.getAsLong()), TimeUnit.MILLISECONDS);
        }
    }

    /** Sends the assignment set to every dirty node whose set changed. */
    void flush() {
        Map<Session, List<Task>> out = new HashMap<>();
        long at;
        synchronized (lock) {
            flushScheduled = false;
            flushes.flushed(clock.getAsLong());
            at = index.index();
            for (String node : dirty) {
                Session s = sessions.get(node);
                if (s != null) {
                    out.put(s, index.assignments(node));
                }
            }
            dirty.clear();
        }
        out.forEach((s, tasks) -> s.send(tasks, at));
        if (LOG.isDebugEnabled() && !out.isEmpty()) {
            LOG.debugf("assignment sets at index %d for %d node(s) (sent where more than a status changed)", at, out.size());
        }
    }

    /**
     * Looks for nodes silent for the grace period: those whose host does not answer, and those silent past the
     * limit for a live host, are marked DOWN (the liveness loop's step; {@link HostCheck}). A node whose session
     * here ended is judged the same way at its session's address: an agent that dropped a slow manager's session
     * and registers again (on a loaded host: three seconds without an answer, then a registration that takes
     * seconds more) is not declared down while its host answers, which had every task of a 50-replica create
     * replaced when the agents gave up on their loaded manager at once.
     */
    void checkLiveness() {
        long now = clock.getAsLong();
        if (now - orphansCheckedMs >= config.heartbeatPeriodMs()) {
            orphansCheckedMs = now;
            adoptOrphans();
        }
        NodeLiveness.Expiry expiry = liveness.expire();
        expiry.down().forEach(this::declareDown);
        for (String nodeId : expiry.suspects()) {
            String addr = probeAddress(nodeId);
            if (addr.isEmpty()) {
                if (liveness.probed(nodeId, false)) {
                    declareDown(nodeId);
                }
                continue;
            }
            // a probe that has not answered within the bound counts as no answer: a node is never left unjudged
            hosts.probe().answers(addr).toCompletableFuture()
                    .completeOnTimeout(false, HostCheck.PROBE_BOUND_MS, TimeUnit.MILLISECONDS).whenComplete((answered, error) -> {
                boolean alive = error == null && Boolean.TRUE.equals(answered);
                if (alive && hosts != HostCheck.NONE) {
                    LOG.infof("node %s: no heartbeat taken in for over %d ms, but its host %s answers: not down", nodeId,
                            config.nodeDownGraceMs(), addr);
                }
                if (liveness.probed(nodeId, alive)) {
                    declareDown(nodeId);
                }
            });
        }
    }

    /**
     * Where a silent node's host is asked: its session's address here (open, or the last one that ended), else the
     * stored one of an orphan, else "".
     */
    private String probeAddress(String nodeId) {
        synchronized (lock) {
            Session s = sessions.get(nodeId);
            if (s != null && s.open) {
                return s.addr;
            }
        }
        String ended = endedAddrs.get(nodeId);
        if (ended != null) {
            return ended;
        }
        Orphan o = orphans.get(nodeId);
        return o == null ? "" : o.addr();
    }

    private void declareDown(String nodeId) {
        boolean sessionHere;
        long lastSent;
        synchronized (lock) {
            Session s = sessions.get(nodeId);
            sessionHere = s != null && s.open;
            lastSent = s == null ? 0 : s.lastSentAtMs;
        }
        long own = ownVersions.getOrDefault(nodeId, 0L);
        if (!sessionHere && own != 0 && stillAsWritten(nodeId)) {
            // changed since our READY only by others' spec/role writes (an update, a promotion), not by
            // another manager's registration: the node is ours to mark down (a leave, a crash)
            own = 0;
        }
        if (lastSent > 0) {
            LOG.infof("node %s: no heartbeat (the last one taken in was sent %d ms ago)", nodeId, clock.getAsLong() - lastSent);
        } else {
            LOG.infof("node %s: no heartbeat for %d ms", nodeId, config.nodeDownGraceMs());
        }
        Orphan orphan = orphans.get(nodeId);
        String judged = orphan != null ? orphan.manager() : selfId();
        nodes.markDown(nodeId, own, sessionHere, judged).whenComplete((result, error) -> {
            if (error != null) {
                LOG.warnf("node %s: %s; trying again", nodeId, error.getMessage());
                liveness.retry(nodeId);
            } else if (result == NodeStatusWriter.DownResult.MARKED) {
                LOG.infof("node %s is down (heartbeat failure%s)", nodeId,
                        orphan == null ? "" : "; its session was with " + orphan.manager() + ", gone");
            } else if (result == NodeStatusWriter.DownResult.GONE || result == NodeStatusWriter.DownResult.MOVED) {
                orphans.remove(nodeId);
                endedAddrs.remove(nodeId);
                LOG.infof("node %s: %s, no longer watched here", nodeId,
                        result == NodeStatusWriter.DownResult.GONE ? "removed" : "session moved to another manager");
                liveness.forget(nodeId);
                ownVersions.remove(nodeId);
            }
        });
    }

    /** Whether this manager has been removed from a Raft group that goes on without it (a demotion). */
    static boolean leftTheGroup(RaftMembership raft) {
        String self = raft.self();
        List<String> members = raft.members();
        return !self.isEmpty() && !members.isEmpty() && !members.contains(self);
    }

    /** A node watched here although its session is not: the manager that held it, and the node's address. */
    record Orphan(String manager, String addr) {}

    /** This manager's Raft id, which it writes as the session manager of the nodes it registers ("" without Raft). */
    String selfId() {
        Membership m = membership;
        return m == null ? "" : m.raft().self();
    }

    /**
     * Takes over the liveness of READY nodes that no manager watches (swarmkit's leader, when its dispatcher
     * starts, gives every node a grace period to reconnect; here every manager holds sessions, so a node is
     * orphaned when its session manager goes): those that name this manager but have no session here (this
     * manager restarted), and on the leader those whose session manager is not a reachable Raft member (it
     * was stopped, crashed, demoted or removed). An adopted node that registers anywhere, or whose manager
     * is back, is let go; one that stays silent is judged as usual ({@link NodeLiveness#adopt}).
     */
    void adoptOrphans() {
        Membership m = membership;
        String self = selfId();
        if (m == null || self.isEmpty() || closed) {
            return;
        }
        try {
            ensureWatch(); // a manager without sessions watches too
        } catch (RuntimeException e) {
            return;
        }
        Map<String, NodeStatus> ready;
        Set<String> withSession;
        synchronized (lock) {
            if (!index.ready()) {
                return;
            }
            ready = index.readyNodes();
            withSession = new HashSet<>(sessions.keySet());
        }
        RaftMembership raft = m.raft();
        boolean leader = raft.isLeader();
        Set<String> live = new HashSet<>(raft.members());
        live.retainAll(raft.reachable());
        live.add(self);
        for (Map.Entry<String, NodeStatus> e : ready.entrySet()) {
            String nodeId = e.getKey();
            String holder = e.getValue().getSessionManager();
            Orphan had = orphans.get(nodeId);
            boolean orphaned = !holder.isEmpty() && !withSession.contains(nodeId)
                    && (holder.equals(self) ? had != null || !liveness.tracked(nodeId) : leader && !live.contains(holder));
            if (!orphaned) {
                if (had != null) {
                    letGo(nodeId);
                }
            } else if (had == null || !had.manager().equals(holder)) {
                if (had != null) {
                    letGo(nodeId);
                }
                if (liveness.adopt(nodeId) || liveness.adopted(nodeId)) {
                    orphans.put(nodeId, new Orphan(holder, e.getValue().getAddr()));
                    LOG.infof("node %s: its session manager %s is %s: its liveness is watched here", nodeId, holder,
                            holder.equals(self) ? "this one, restarted" : "not a reachable Raft member");
                }
            }
        }
        for (String nodeId : List.copyOf(orphans.keySet())) {
            if (!ready.containsKey(nodeId)) {
                letGo(nodeId); // down or removed meanwhile
            }
        }
    }

    /** Stops watching an adopted node (unless a DOWN write for it is under way, whose outcome does that). */
    private void letGo(String nodeId) {
        if (!liveness.declaredDown(nodeId)) {
            orphans.remove(nodeId);
            if (liveness.adopted(nodeId)) {
                liveness.forget(nodeId);
            }
        }
    }

    private void checkLivenessSafely() {
        try {
            checkLiveness();
        } catch (RuntimeException e) {
            LOG.warn("liveness check failed", e);
        }
    }

    /** What this manager wrote at the node's registration: its status and description. */
    private final Map<String, Node> written = new ConcurrentHashMap<>();

    private boolean stillAsWritten(String nodeId) {
        Node ours = written.get(nodeId);
        Node now = store.get(Kind.KIND_NODE, nodeId).filter(StoredObject::hasNode).map(StoredObject::getNode).orElse(null);
        return ours != null && now != null && now.getStatus().equals(ours.getStatus())
                && now.getDescription().equals(ours.getDescription());
    }

    private boolean storedDown(String nodeId) {
        return store.get(Kind.KIND_NODE, nodeId).filter(StoredObject::hasNode)
                .map(o -> o.getNode().getStatus().getState() == NodeState.NODE_DOWN).orElse(false);
    }

    /** ip:2377 of every manager, as the store knows them. */
    public List<String> managers() {
        synchronized (lock) {
            return index.managers();
        }
    }

    /** Status reports refused because the task was another node's. */
    public long refusedForeignReports() {
        return statuses.refusedForeign();
    }

    /** Status reports ignored because the task did not exist. */
    public long refusedUnknownReports() {
        return statuses.refusedUnknown();
    }

    /** Task status writes accepted by the store. */
    public long appliedReports() {
        return statuses.applied();
    }

    /** Number of open sessions on this manager. */
    public int sessionCount() {
        synchronized (lock) {
            return sessions.size();
        }
    }

    @Override
    public void close() {
        closed = true;
        if (livenessLoop != null) {
            livenessLoop.cancel(false);
        }
        synchronized (watchLock) {
            if (watch != null) {
                watch.close();
                watch = null;
            }
        }
        synchronized (lock) {
            sessions.clear();
        }
    }

    /**
     * Whether two assignment sets differ only in what the agent itself reported (status) or in the store's
     * bookkeeping (version, update time): the agent is not sent its own news back, so that each status it
     * reports does not make it look at all its tasks again (swarmkit's dispatcher skips these too).
     */
    static boolean sameButStatus(List<Task> a, List<Task> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            Task x = a.get(i);
            Task y = b.get(i);
            if (!x.equals(y) && !withoutStatus(x).equals(withoutStatus(y))) {
                return false;
            }
        }
        return true;
    }

    private static Task withoutStatus(Task t) {
        return t.toBuilder().clearStatus().setMeta(t.getMeta().toBuilder().clearVersion().clearUpdatedAtMs()).build();
    }

    static String newId() {
        char[] c = new char[25];
        for (int i = 0; i < c.length; i++) {
            c[i] = ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length()));
        }
        return new String(c);
    }

    /** One agent's session on this manager. */
    public final class Session implements PlanRelay.Target {
        private final String id;
        private final String nodeId;
        private final NodeDescription description;
        private final String addr;
        private final SessionSink sink;
        private volatile boolean open = true;
        /** The send time the agent wrote into its last heartbeat. */
        private volatile long lastSentAtMs;
        private final java.util.concurrent.atomic.AtomicBoolean repairing = new java.util.concurrent.atomic.AtomicBoolean();
        private List<Task> lastSent;      // guarded by this
        private NetworkPlan planSent;     // guarded by this
        private NetworkPlan planWaiting;  // guarded by this: a plan that came before the first assignments

        private Session(String id, String nodeId, NodeDescription description, String addr, SessionSink sink) {
            this.id = id;
            this.nodeId = nodeId;
            this.description = description;
            this.addr = addr;
            this.sink = sink;
        }

        public String id() {
            return id;
        }

        public String nodeId() {
            return nodeId;
        }

        public long heartbeatPeriodMs() {
            return config.heartbeatPeriodMs();
        }

        public List<String> managers() {
            return Dispatcher.this.managers();
        }

        /** Takes the session into service (after SessionStarted went out): assignments start to flow. */
        public void start() {
            Session replaced;
            synchronized (lock) {
                if (!open) {
                    return;
                }
                replaced = sessions.put(nodeId, this);
                endedAddrs.remove(nodeId);
                if (index.ready()) {
                    dirty.add(nodeId);
                }
            }
            if (replaced != null && replaced != this) {
                replaced.open = false;
                replaced.sink.replaced();
            }
            if (index.ready()) {
                flush(); // the first set at once, not after the debounce
            }
            plans.started(nodeId, this);
        }

        /** The node's network plan: sent unless equal (index aside) to the last sent; never before the first assignments. */
        @Override
        public void plan(NetworkPlan plan) {
            synchronized (this) {
                if (!open) {
                    return;
                }
                if (lastSent == null) {
                    planWaiting = plan;
                    return;
                }
                sendPlanLocked(plan);
            }
        }

        private void sendPlanLocked(NetworkPlan plan) {
            if (planSent != null && PlanRelay.sameIgnoringIndex(planSent, plan)) {
                return;
            }
            planSent = plan;
            sink.networkPlan(plan);
        }

        /** Whether the node was removed from the swarm meanwhile (docker node rm): its session must end. */
        public boolean revoked() {
            Membership m = membership;
            return m != null && m.revoked(nodeId);
        }

        /**
         * A heartbeat (sent at the agent's {@code sentAtMs}, 0 if unknown): the node is alive; if it had been
         * declared DOWN, it is READY again.
         */
        public void heartbeat(long sentAtMs) {
            if (!open) {
                return;
            }
            long previousSentAt = lastSentAtMs;
            lastSentAtMs = sentAtMs;
            boolean wasDown = liveness.seen(nodeId);
            if (wasDown && sentAtMs > 0 && previousSentAt > 0) {
                // who was silent: a heartbeat sent long after the one before it (the agent), or one that took
                // long to arrive and be taken in (the network, this manager)
                LOG.infof("node %s: heartbeat sent %d ms after the one before, taken in %d ms after it was sent",
                        nodeId, sentAtMs - previousSentAt, clock.getAsLong() - sentAtMs);
            }
            if (!wasDown && storedDown(nodeId) && repairing.compareAndSet(false, true)) {
                // marked down elsewhere (by a manager that held its session before): heartbeats here say otherwise
                LOG.infof("node %s: heartbeating here but stored DOWN: READY again", nodeId);
                nodes.markReady(nodeId, description, addr, selfId()).whenComplete((version, error) -> {
                    repairing.set(false);
                    if (error == null) {
                        ownVersions.put(nodeId, version);
                    }
                });
                return;
            }
            if (wasDown) {
                LOG.infof("node %s: heartbeats again", nodeId);
                nodes.markReady(nodeId, description, addr, selfId()).whenComplete((version, error) -> {
                    if (error != null) {
                        LOG.warnf("node %s: %s", nodeId, error.getMessage());
                    } else {
                        ownVersions.put(nodeId, version);
                    }
                });
            }
        }

        /** Task status from the agent (applied only to this node's own tasks). */
        public void report(List<TaskStatusUpdate> updates) {
            if (open && !updates.isEmpty()) {
                statuses.submit(nodeId, updates);
            }
        }

        /**
         * The stream ended (cleanly or not): stop sending. The node goes DOWN only by the grace period (or, while
         * its host answers, the limit: {@link #checkLiveness}).
         */
        public void close() {
            open = false;
            synchronized (lock) {
                if (sessions.remove(nodeId, this)) {
                    endedAddrs.put(nodeId, addr);
                }
            }
        }

        private void send(List<Task> tasks, long at) {
            synchronized (this) {
                if (!open || lastSent != null && sameButStatus(tasks, lastSent)) {
                    return;
                }
                boolean first = lastSent == null;
                lastSent = tasks;
                sink.assignments(tasks, at);
                if (first && planWaiting != null) {
                    sendPlanLocked(planWaiting);
                    planWaiting = null;
                }
            }
        }
    }
}
