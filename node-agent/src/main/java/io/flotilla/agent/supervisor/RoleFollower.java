package io.flotilla.agent.supervisor;

import io.flotilla.agent.swarm.SwarmState;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Follows the role the managers want this node to have (docker node promote / demote): told manager
 * while it runs no manager services, it starts them, joining the Raft group it was told of (the leader
 * adds it once its store shows up); told worker while it runs them, it stops them and removes their
 * data, but only once the Raft group no longer lists it (its role in force is worker, as in swarmkit):
 * the leader's removal of a member needs a majority of the group with the member in it, and in a group
 * of two that is the leaving member too (two managers demoted at once: the second removal could never
 * commit, and the last manager would be left without quorum). A group that still lists it after
 * {@link #REMOVAL_WAIT_MS} (a view that never learns of the removal) does not hold it forever.
 * Level-based: every hint is compared with what runs; hints are taken on one thread, latest first.
 */
public final class RoleFollower implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RoleFollower.class);

    /** What a hint says. */
    public record Hint(String nodeId, boolean manager, List<String> raftMembers) {
    }

    private final ManagerControl managers;
    private final SwarmState swarm;
    private final String advertiseAddr;
    /** How long a demoted manager waits for the Raft group to drop it before stopping anyway. */
    static final long REMOVAL_WAIT_MS = 30_000;

    private final AtomicReference<Hint> latest = new AtomicReference<>();
    private final java.util.function.LongSupplier clockMs;
    /** When the current run of worker hints that still list this node in the Raft group began (-1: none). */
    private long demotedListedSinceMs = -1;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "role-follower");
        t.setDaemon(true);
        return t;
    });

    public RoleFollower(ManagerControl managers, SwarmState swarm, String advertiseAddr) {
        this(managers, swarm, advertiseAddr, System::currentTimeMillis);
    }

    RoleFollower(ManagerControl managers, SwarmState swarm, String advertiseAddr, java.util.function.LongSupplier clockMs) {
        this.managers = managers;
        this.swarm = swarm;
        this.advertiseAddr = advertiseAddr;
        this.clockMs = clockMs;
    }

    /** Takes a hint (returns at once). */
    public void offer(Hint hint) {
        if (latest.getAndSet(hint) == null) {
            thread.execute(() -> apply(latest.getAndSet(null)));
        }
    }

    /** Brings what runs in line with the hint. */
    public synchronized void apply(Hint h) {
        if (h == null) {
            return;
        }
        SwarmState.Snapshot s = swarm.current();
        if (!s.member() || !s.nodeId().equals(h.nodeId())) {
            return;
        }
        boolean running = managers.launch().isPresent();
        if (h.manager() || !listed(h, s.nodeId())) {
            demotedListedSinceMs = -1;
        }
        if (h.manager() && (!s.manager() || !running)) {
            LOG.infof("this node is to be a manager: starting the manager services (raft members %s)", h.raftMembers());
            try {
                if (!running) {
                    managers.wipeData(); // a promoted node joins the group afresh
                    managers.start(new Launch(s.nodeId(), advertiseAddr, false, h.raftMembers()));
                }
                SwarmState.Snapshot now = swarm.current();
                if (!now.member() || !now.nodeId().equals(s.nodeId())) {
                    // the node left the swarm meanwhile (docker swarm leave): what was started goes
                    LOG.info("this node left the swarm while its manager services started: stopping them");
                    managers.stop();
                    return;
                }
                swarm.update(new SwarmState.Snapshot(s.nodeId(), true, true, s.managers()));
            } catch (Exception e) {
                LOG.errorf("cannot start the manager services: %s", e.getMessage());
            }
        } else if (!h.manager() && (s.manager() || running)) {
            if (running && listed(h, s.nodeId())) {
                long now = clockMs.getAsLong();
                if (demotedListedSinceMs < 0) {
                    demotedListedSinceMs = now;
                    LOG.info("this node is to be a worker: its manager services stop once the Raft group has removed it");
                }
                if (now - demotedListedSinceMs < REMOVAL_WAIT_MS) {
                    return;
                }
                LOG.warnf("this node is to be a worker and the Raft group still lists it after %d ms: stopping anyway",
                        now - demotedListedSinceMs);
            }
            demotedListedSinceMs = -1;
            LOG.info("this node is to be a worker: stopping the manager services");
            managers.stop();
            managers.wipeData();
            // the session goes to a manager that remains at once: the ones it knew may be this node's own, just
            // stopped, or another demoted at the same time (a Register there waits out its timeout, and a node
            // without a session anywhere is watched by no manager's liveness check)
            List<String> remaining = dispatcherAddresses(h, s.nodeId());
            swarm.update(new SwarmState.Snapshot(s.nodeId(), true, false, remaining.isEmpty() ? s.managers() : remaining));
        }
    }

    /** ip:2377 of the Raft members in the hint (raft_id@ip:7946) other than this node. */
    static List<String> dispatcherAddresses(Hint h, String nodeId) {
        List<String> out = new java.util.ArrayList<>();
        for (String m : h.raftMembers()) {
            int at = m.indexOf('@');
            int colon = m.lastIndexOf(':');
            if (at > 0 && colon > at + 1 && !m.startsWith(nodeId + "@")) {
                out.add(io.flotilla.contracts.ManagerAddress.of(m.substring(at + 1, colon)));
            }
        }
        return out;
    }

    /** Whether the hint's Raft members (raft_id@ip:port) name this node. */
    private static boolean listed(Hint h, String nodeId) {
        String prefix = nodeId + "@";
        return h.raftMembers().stream().anyMatch(m -> m.startsWith(prefix));
    }

    /**
     * The managers refuse this node (docker node rm): it is out of the swarm. Its manager services stop,
     * its identity goes, and it gets a fresh node id, so that a docker swarm join starts afresh.
     */
    public void revoked(String nodeId, Runnable forgetIdentity, java.util.function.Supplier<String> freshId) {
        thread.execute(() -> {
            synchronized (this) {
                SwarmState.Snapshot s = swarm.current();
                if (!s.member() || !s.nodeId().equals(nodeId)) {
                    return;
                }
                LOG.warnf("node %s was removed from the swarm: leaving", nodeId);
                if (managers.launch().isPresent()) {
                    managers.stop();
                }
                managers.wipeData();
                forgetIdentity.run();
                swarm.update(new SwarmState.Snapshot(freshId.get(), false, false, List.of()));
            }
        });
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
