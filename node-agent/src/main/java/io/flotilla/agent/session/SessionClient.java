package io.flotilla.agent.session;

import io.flotilla.agent.exec.TaskExecutor;
import io.flotilla.agent.swarm.SwarmState;
import io.flotilla.contracts.v1.AgentMessage;
import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.Heartbeat;
import io.flotilla.contracts.v1.ManagerMessage;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.Register;
import io.flotilla.contracts.v1.StatusReport;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The agent's session with a manager's dispatcher. While the swarm state says this host is a member,
 * one thread keeps one stream open: Register, then a Heartbeat every period the manager gives; every
 * Assignments goes to {@link TaskExecutor#reconcile}, every network plan to the plan listener
 * ({@link #onNetworkPlan}); the executor's status updates go back as StatusReports (all of them once more
 * after each (re)connection). The manager answers each heartbeat (with SessionStarted again); a manager
 * silent for the manager timeout is taken for dead. When the stream ends the client moves on to the next
 * manager after a backoff.
 */
public final class SessionClient implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SessionClient.class);

    /** Timings. managerTimeoutMs 0: two and a half heartbeat periods. */
    public record Settings(String advertiseAddr, long backoffMinMs, long backoffMaxMs, long registerTimeoutMs,
                           long managerTimeoutMs) {
        public static Settings defaults(String advertiseAddr) {
            return new Settings(advertiseAddr, 100, 2000, 3000, 0);
        }
    }

    private record Target(String nodeId, List<String> managers) {}

    /** The end of a stream, as the response observer saw it. */
    private record Ended(Throwable error) {}

    private final TaskExecutor executor;
    private final java.util.function.Function<String, ManagedChannel> channels;
    /** Calls into the executor run here, in order, so that a slow executor never delays a heartbeat. */
    private final ExecutorService calls = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "flotilla-session-exec");
        t.setDaemon(true);
        return t;
    });
    private final Supplier<NodeDescription> description;
    private final Settings settings;
    private final Object monitor = new Object();
    private Target target;                 // guarded by monitor
    private long generation;               // guarded by monitor
    private Stream active;                 // guarded by monitor: the started stream, if any
    private volatile boolean closed;
    private Thread thread;
    private volatile String connectedTo = "";
    private volatile int sessionsStarted;
    private volatile java.util.function.Consumer<RoleHint> roleListener = r -> { };

    /** What the manager says this node's role is to be (its spec), with the Raft group to join as a manager. */
    public record RoleHint(String nodeId, io.flotilla.contracts.v1.NodeRole role, List<String> raftMembers) {}

    private volatile java.util.function.Consumer<String> revokedListener = id -> { };

    /** Called (on the session thread: keep it short) when a manager refuses this node: it was removed. */
    public void onRevoked(java.util.function.Consumer<String> listener) {
        this.revokedListener = listener;
    }

    private volatile java.util.function.Consumer<NetworkPlan> planListener = p -> { };
    /** Whether the node was a swarm member at the last membership change (guarded by monitor). */
    private boolean member;

    /** Called (on the session thread: keep it short) with every network plan the manager sends for this node. */
    public void onNetworkPlan(java.util.function.Consumer<NetworkPlan> listener) {
        this.planListener = listener;
    }

    /** Called (on the session thread: keep it short) with every role hint the manager sends. */
    public void onRole(java.util.function.Consumer<RoleHint> listener) {
        this.roleListener = listener;
    }

    private volatile java.util.function.Consumer<String> certificateListener = pem -> { };

    /**
     * Called (on the session thread, before the role hint of the same message) with a renewed node certificate
     * (PEM) the manager sends: it is to replace the one on disk, for the next connections and the manager
     * services started after it.
     */
    public void onCertificate(java.util.function.Consumer<String> listener) {
        this.certificateListener = listener;
    }

    /** @param channels the channel to a manager's address (mutual TLS with this node's certificate: {@link ManagerChannels}) */
    public SessionClient(TaskExecutor executor, Supplier<NodeDescription> description, Settings settings,
                         java.util.function.Function<String, ManagedChannel> channels) {
        this.executor = executor;
        this.description = description;
        this.settings = settings;
        this.channels = channels;
    }

    /** A client on plain-text channels (tests with fake managers). */
    public SessionClient(TaskExecutor executor, Supplier<NodeDescription> description, Settings settings) {
        this(executor, description, settings, ManagerChannels.plaintext()::session);
    }

    /** Starts following the membership: call once. */
    public void start(SwarmState swarm) {
        executor.onStatus(this::forward);
        thread = new Thread(this::run, "flotilla-session");
        thread.setDaemon(true);
        thread.start();
        swarm.onChange(this::follow);
    }

    /**
     * A membership change: a member with managers has a session, anything else none. A node that leaves the swarm
     * (docker swarm leave, or removed by the managers) runs no task and no swarm network any more, as in Swarm,
     * whose leave stops the node's task containers: the executor gets an empty assignment (it stops and removes
     * them) and the dataplane an empty plan (the overlays, the ingress sandbox and the published ports go). The
     * managers meanwhile see the node down and run its tasks elsewhere.
     */
    void follow(SwarmState.Snapshot s) {
        Target next = s.member() && !s.managers().isEmpty() ? new Target(s.nodeId(), s.managers()) : null;
        Stream stop = null;
        boolean left;
        synchronized (monitor) {
            left = member && !s.member();
            member = s.member();
            if (Objects.equals(next, target) && !left) {
                return;
            }
            target = next;
            generation++;
            stop = active;
            monitor.notifyAll();
        }
        LOG.infof(next == null ? "not a swarm member: no dispatcher session" : "swarm member as node %s: managers %s",
                next == null ? null : next.nodeId, next == null ? null : next.managers);
        if (stop != null) {
            stop.cancel("membership changed");
        }
        if (left) {
            LOG.info("left the swarm: the node's task containers are stopped and removed, its swarm networks taken down");
            calls.execute(() -> {
                try {
                    executor.reconcile(List.of());
                } catch (RuntimeException e) {
                    LOG.warn("executor failed to take the empty assignment", e);
                }
            });
            planListener.accept(NetworkPlan.getDefaultInstance());
        }
    }

    /** The manager the session is open with, or "". */
    public String connectedTo() {
        return connectedTo;
    }

    /** Sessions started so far (for tests and metrics). */
    public int sessionsStarted() {
        return sessionsStarted;
    }

    private void forward(TaskStatusUpdate update) {
        Stream s;
        synchronized (monitor) {
            s = active;
        }
        if (s != null) {
            s.send(AgentMessage.newBuilder().setStatus(StatusReport.newBuilder().addUpdates(update)).build());
        }
        // without a session the update is not lost: currentStatuses() goes out after the next connection
    }

    private void run() {
        Backoff backoff = new Backoff(settings.backoffMinMs(), settings.backoffMaxMs());
        long seen = -1;
        List<String> rotation = List.of();
        int pos = 0;
        while (!closed) {
            Target t;
            long g;
            synchronized (monitor) {
                while (target == null && !closed) {
                    try {
                        monitor.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                t = target;
                g = generation;
            }
            if (g != seen) {
                seen = g;
                rotation = t.managers;
                pos = 0;
                backoff.reset();
            }
            String addr = rotation.get(Math.floorMod(pos, rotation.size()));
            Outcome o;
            try {
                o = runOnce(t, addr, g, rotation);
            } catch (RuntimeException e) {
                LOG.warnf("session with %s failed: %s", addr, e.toString());
                o = new Outcome(false, List.of());
            }
            connectedTo = "";
            if (!o.managers.isEmpty()) {
                List<String> learned = o.managers;
                int at = learned.indexOf(addr);
                rotation = learned;
                pos = Math.max(at, 0);
            }
            if (o.started) {
                backoff.reset();
            }
            pos++;
            long delay = backoff.next();
            synchronized (monitor) {
                long until = System.currentTimeMillis() + delay;
                while (!closed && generation == g) {
                    long left = until - System.currentTimeMillis();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        monitor.wait(left);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    private record Outcome(boolean started, List<String> managers) {}

    /**
     * How long a silent manager is waited for when no other manager is known (those its SessionStarted names, else
     * the swarm state's), in manager timeouts.
     */
    static final int SOLE_MANAGER_PATIENCE = 4;

    /**
     * How long the manager at {@code addr} may be silent before its session (or a registration's answer) is given
     * up: the timeout when another manager is known to move to; when it is the only one,
     * {@link #SOLE_MANAGER_PATIENCE} times that.
     * Dropping the one manager's session gains nothing (the registration goes to it again, and on a loaded host
     * takes seconds more), and had the nodes of a one-manager swarm all drop theirs at once while the machine
     * started 50 containers: silent from the manager's side, they were declared down and their tasks replaced.
     * A manager that is really gone ends the stream (a restart) or stays silent past the longer limit.
     */
    static long silenceLimit(long timeoutMs, List<String> managers, String addr) {
        return elsewhere(managers, addr) ? timeoutMs : timeoutMs * SOLE_MANAGER_PATIENCE;
    }

    /** Whether a manager other than {@code addr} is known. */
    static boolean elsewhere(List<String> managers, String addr) {
        for (String m : managers) {
            if (!m.equals(addr)) {
                return true;
            }
        }
        return false;
    }

    private Outcome runOnce(Target t, String addr, long g, List<String> rotation) {
        ManagedChannel channel = channels.apply(addr);
        BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
        Stream stream = new Stream(inbox);
        boolean started = false;
        List<String> managers = List.of();
        try {
            DispatcherGrpc.newStub(channel).session(stream);
            stream.send(AgentMessage.newBuilder().setRegister(Register.newBuilder().setNodeId(t.nodeId)
                    .setDescription(description.get()).setAddr(settings.advertiseAddr())).build());
            long now = System.currentTimeMillis();
            long registering = now;
            long registerBy = now + silenceLimit(settings.registerTimeoutMs(), rotation, addr);
            long period = 500;
            long timeout = 0;
            long lastHeard = now;
            long nextBeat = Long.MAX_VALUE;
            boolean waitLogged = false;
            while (true) {
                synchronized (monitor) {
                    if (closed || generation != g) {
                        stream.cancel(closed ? "agent stopping" : "membership changed");
                        return new Outcome(started, managers);
                    }
                }
                now = System.currentTimeMillis();
                if (!started && now >= registerBy) {
                    LOG.infof("manager %s: no session after %d ms", addr, now - registering);
                    stream.cancel("register timed out");
                    return new Outcome(false, managers);
                }
                List<String> known = managers.isEmpty() ? rotation : managers;
                long limit = silenceLimit(timeout, known, addr);
                if (started && now - lastHeard >= limit) {
                    LOG.warnf("manager %s: silent for %d ms, trying %s", addr, now - lastHeard,
                            elsewhere(known, addr) ? "another" : "it again");
                    stream.cancel("manager silent");
                    return new Outcome(true, managers);
                }
                if (started && now - lastHeard >= timeout && !waitLogged) {
                    waitLogged = true;
                    LOG.infof("manager %s: silent for %d ms, but no other manager is known: the session is kept",
                            addr, now - lastHeard);
                }
                if (started && now >= nextBeat) {
                    stream.send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAtMs(now)).build());
                    nextBeat = now + period;
                }
                long wake = Math.min(started ? Math.min(nextBeat, lastHeard + limit) : registerBy, now + 100);
                Object ev;
                try {
                    ev = inbox.poll(Math.max(1, wake - now), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    stream.cancel("interrupted");
                    Thread.currentThread().interrupt();
                    return new Outcome(started, managers);
                }
                if (ev instanceof Ended end) {
                    if (end.error != null && Status.fromThrowable(end.error).getCode() == Status.Code.PERMISSION_DENIED) {
                        LOG.warnf("manager %s refuses this node: %s", addr, Status.fromThrowable(end.error).getDescription());
                        try {
                            revokedListener.accept(t.nodeId);
                        } catch (RuntimeException e) {
                            LOG.warnf("revocation listener failed: %s", e.toString());
                        }
                    } else if (started) {
                        LOG.infof("session with %s ended: %s", addr, end.error == null ? "closed by the manager"
                                : Status.fromThrowable(end.error).toString());
                    } else {
                        LOG.debugf("manager %s: %s", addr, end.error == null ? "closed" : Status.fromThrowable(end.error));
                    }
                    return new Outcome(started, managers);
                }
                if (!(ev instanceof ManagerMessage m)) {
                    continue;
                }
                lastHeard = System.currentTimeMillis();
                waitLogged = false;
                if (m.hasStarted()) {
                    if (!m.getStarted().getCertificatePem().isEmpty()) {
                        try {
                            certificateListener.accept(m.getStarted().getCertificatePem());
                        } catch (RuntimeException e) {
                            LOG.warnf("certificate listener failed: %s", e.toString());
                        }
                    }
                    if (m.getStarted().hasDesiredRole()) {
                        try {
                            roleListener.accept(new RoleHint(t.nodeId, m.getStarted().getDesiredRole(),
                                    List.copyOf(m.getStarted().getRaftMembersList())));
                        } catch (RuntimeException e) {
                            LOG.warnf("role listener failed: %s", e.toString());
                        }
                    }
                    if (!m.getStarted().getManagersList().isEmpty()) {
                        managers = List.copyOf(m.getStarted().getManagersList());
                    }
                    if (!started) {
                        started = true;
                        sessionsStarted++;
                        period = m.getStarted().getHeartbeatPeriodMs() > 0 ? m.getStarted().getHeartbeatPeriodMs() : 500;
                        timeout = settings.managerTimeoutMs() > 0 ? settings.managerTimeoutMs() : period * 5 / 2;
                        nextBeat = lastHeard + period;
                        connectedTo = addr;
                        synchronized (monitor) {
                            active = stream;
                        }
                        LOG.infof("session %s with %s as node %s (heartbeat %d ms)", m.getStarted().getSessionId(), addr,
                                t.nodeId, period);
                        calls.execute(() -> {
                            List<TaskStatusUpdate> statuses = new ArrayList<>(executor.currentStatuses());
                            if (!statuses.isEmpty()) {
                                stream.send(AgentMessage.newBuilder().setStatus(StatusReport.newBuilder().addAllUpdates(statuses)).build());
                            }
                        });
                    }
                } else if (m.hasAssignments()) {
                    if (!started) {
                        continue;
                    }
                    List<io.flotilla.contracts.v1.Task> tasks = m.getAssignments().getTasksList();
                    LOG.debugf("assignments at index %d: %d task(s)", m.getAssignments().getIndex(), tasks.size());
                    calls.execute(() -> {
                        try {
                            executor.reconcile(tasks);
                        } catch (RuntimeException e) {
                            LOG.warn("executor failed to take the assignments", e);
                        }
                    });
                } else if (m.hasNetworkPlan()) {
                    if (!started) {
                        continue;
                    }
                    NetworkPlan plan = m.getNetworkPlan();
                    LOG.debugf("network plan at index %d: %d overlay(s), %d VIP(s), %d published port(s)", plan.getIndex(),
                            plan.getOverlaysCount(), plan.getVipsCount(), plan.getPublishedPortsCount());
                    try {
                        planListener.accept(plan);
                    } catch (RuntimeException e) {
                        LOG.warnf("network plan listener failed: %s", e.toString());
                    }
                }
            }
        } finally {
            synchronized (monitor) {
                if (active == stream) {
                    active = null;
                }
            }
            channel.shutdownNow();
        }
    }

    @Override
    public void close() {
        Stream s;
        synchronized (monitor) {
            closed = true;
            s = active;
            monitor.notifyAll();
        }
        if (s != null) {
            s.cancel("agent stopping");
        }
        calls.shutdownNow();
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One stream: what the manager sends goes to the inbox; sends are serialized. */
    private static final class Stream implements ClientResponseObserver<AgentMessage, ManagerMessage> {
        private final BlockingQueue<Object> inbox;
        private ClientCallStreamObserver<AgentMessage> out;   // guarded by this
        private boolean done;                                  // guarded by this

        Stream(BlockingQueue<Object> inbox) {
            this.inbox = inbox;
        }

        @Override
        public synchronized void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
            this.out = requestStream;
        }

        synchronized void send(AgentMessage m) {
            if (done || out == null) {
                return;
            }
            try {
                out.onNext(m);
            } catch (RuntimeException e) {
                done = true;
                inbox.add(new Ended(e));
            }
        }

        synchronized void cancel(String why) {
            if (!done && out != null) {
                done = true;
                out.cancel(why, null);
            }
        }

        @Override
        public void onNext(ManagerMessage value) {
            inbox.add(value);
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                done = true;
            }
            inbox.add(new Ended(t));
        }

        @Override
        public void onCompleted() {
            synchronized (this) {
                if (!done) {
                    done = true;
                    out.onCompleted();
                }
            }
            inbox.add(new Ended(null));
        }
    }
}
