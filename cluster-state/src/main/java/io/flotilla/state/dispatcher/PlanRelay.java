package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.NetworkPlan;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The nodes' network plans on this manager: network-svc (on every manager) publishes them here, the relay
 * keeps the latest per node (in memory: a restarted relay has a new {@link #id()}, from which the publisher
 * learns to send everything again) and hands each plan that changed to the node's session, if the node holds
 * it here, and the latest plan to every session that starts. A plan equal to the one held but for its
 * {@code index} is no change.
 *
 * <p>Only this manager's own node may publish (its network-svc). With TLS (the default) its certificate says so:
 * {@link io.flotilla.state.tls.AccessPolicy} refuses PublishPlans from any other node before it gets here, and
 * {@link #publishVerified} takes the batch. With plain text there is no identity, and {@link #publish} takes a
 * batch only from a caller on this host (a loopback peer address).
 */
public final class PlanRelay {

    /** Where a node's plan goes: its session on this manager. */
    public interface Target {
        void plan(NetworkPlan plan);
    }

    /** The caller may not publish plans here. */
    public static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * What one batch did.
     *
     * @param changed plans that differed from the ones held (or were new)
     * @param dropped plans dropped because a full batch did not name their node
     * @param held    plans held afterwards
     */
    public record Published(int changed, int dropped, int held) {
    }

    private final String id = Dispatcher.newId();
    private final Function<String, Target> sessions;
    private final Map<String, NetworkPlan> latest = new HashMap<>();   // guarded by this

    /** @param sessions a node id to its open session on this manager, or null */
    public PlanRelay(Function<String, Target> sessions) {
        this.sessions = sessions;
    }

    /** This relay's instance: it changes when the manager restarts, and the plans it held are gone. */
    public String id() {
        return id;
    }

    /**
     * Takes a batch of plans from the caller at {@code caller}. Each changed plan goes at once to its node's
     * session (under the relay's monitor, so that a session never gets an older plan after a newer one).
     *
     * @param full the batch names every node: the plans of the others are dropped
     * @throws Refused when the caller is not on this host
     */
    public synchronized Published publish(SocketAddress caller, List<NetworkPlan> plans, boolean full) {
        if (!local(caller)) {
            throw new Refused("network plans are accepted only from this host, not from " + caller);
        }
        return publishVerified(plans, full);
    }

    /** Takes a batch from a caller whose certificate was checked to be this manager's own node. */
    public synchronized Published publishVerified(List<NetworkPlan> plans, boolean full) {
        int changed = 0;
        Set<String> named = new HashSet<>();
        for (NetworkPlan plan : plans) {
            String node = plan.getNodeId();
            if (node.isEmpty()) {
                continue;
            }
            named.add(node);
            NetworkPlan before = latest.put(node, plan);
            if (before == null || !sameIgnoringIndex(before, plan)) {
                changed++;
                Target session = sessions.apply(node);
                if (session != null) {
                    session.plan(plan);
                }
            }
        }
        int dropped = 0;
        if (full) {
            int before = latest.size();
            latest.keySet().retainAll(named);
            dropped = before - latest.size();
        }
        return new Published(changed, dropped, latest.size());
    }

    /** A session of the node started here: it gets the node's latest plan, if there is one. */
    public synchronized void started(String nodeId, Target session) {
        NetworkPlan plan = latest.get(nodeId);
        if (plan != null) {
            session.plan(plan);
        }
    }

    public synchronized Optional<NetworkPlan> latest(String nodeId) {
        return Optional.ofNullable(latest.get(nodeId));
    }

    public synchronized int size() {
        return latest.size();
    }

    /** Whether two plans say the same thing (the store index they were computed at aside). */
    public static boolean sameIgnoringIndex(NetworkPlan a, NetworkPlan b) {
        return a.toBuilder().clearIndex().build().equals(b.toBuilder().clearIndex().build());
    }

    /** Whether a peer is on this host: a loopback address (anything else, or no address, is not). */
    static boolean local(SocketAddress peer) {
        return peer instanceof InetSocketAddress a && a.getAddress() != null && a.getAddress().isLoopbackAddress();
    }
}
