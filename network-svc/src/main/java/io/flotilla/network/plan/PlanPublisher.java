package io.flotilla.network.plan;

import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.PlanAck;
import io.flotilla.contracts.v1.PlanBatch;
import io.flotilla.network.view.NetworkView;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Publishes every node's network plan to the dispatcher of this manager, which relays each to its node's
 * session. It runs on every manager (the plans are a pure function of the view, which every network-svc keeps;
 * only allocation is the leader's). Work on commit, debounced: a change of the view marks the plans dirty; a
 * quiet {@code debounceMs} after the last change (at most {@code maxDelayMs} after the first) the plans are
 * computed from the view and only those that changed go out ({@link PlanDiff}). The first batch is full, and so
 * is the one after a failed call, which is retried with backoff (the computation is done again then: the state
 * may have moved). A call every {@code checkMs} even when nothing changes lets a restarted relay be found and
 * filled again.
 *
 * <p>{@link #step} is the whole logic, for a clock the caller gives; {@link #start} runs it on a thread.
 */
public final class PlanPublisher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PlanPublisher.class.getName());

    /** The dispatcher's PublishPlans; throws when the call fails. */
    public interface Relay {
        PlanAck publish(PlanBatch batch);
    }

    /** Every node's plan from the current view (on the view's own thread); empty while the view is not loaded. */
    public interface Plans {
        Optional<List<NetworkPlan>> compute();
    }

    public record Settings(long debounceMs, long maxDelayMs, long backoffMinMs, long backoffMaxMs, long checkMs) {
        public static Settings defaults() {
            return new Settings(15, 100, 200, 5_000, 2_000);
        }
    }

    private final Plans plans;
    private final Relay relay;
    private final Settings settings;
    private final LongSupplier clock;
    private final PlanDiff diff = new PlanDiff();

    private final Object lock = new Object();
    private long changes;                 // guarded by lock: changes noted so far
    private long published;               // guarded by lock: changes the last successful batch covered
    private long firstChangeAt;           // guarded by lock: the oldest change not yet published
    private long lastChangeAt;            // guarded by lock
    private long retryAt;                 // guarded by lock: no call before (after a failure)
    private long lastCallAt;              // guarded by lock
    private int failures;                 // guarded by lock
    private boolean synced;               // guarded by lock: at the last call the relay held the plans sent to it
    private volatile boolean running;
    private Thread thread;
    private volatile long batchesSent;
    private volatile long callsFailed;

    public PlanPublisher(Plans plans, Relay relay, Settings settings, LongSupplier clockMs) {
        this.plans = plans;
        this.relay = relay;
        this.settings = settings;
        this.clock = clockMs;
    }

    /** Every node's plan in the view, in node id order. */
    public static List<NetworkPlan> plansOf(NetworkView view) {
        List<NetworkPlan> out = new ArrayList<>();
        view.nodes().stream().map(n -> n.getMeta().getId()).filter(id -> !id.isEmpty()).sorted()
                .forEach(id -> out.add(NetworkPlanner.plan(view, id)));
        return out;
    }

    /** The view changed (any thread; returns at once). */
    public void changed() {
        synchronized (lock) {
            markPendingLocked(clock.getAsLong());
            lock.notifyAll();
        }
    }

    /** When the next step has work: the end of the debounce of pending changes, or the next check (if in sync). */
    public long dueAt() {
        synchronized (lock) {
            return dueAtLocked();
        }
    }

    private long dueAtLocked() {
        long due = changes != published
                ? Math.min(lastChangeAt + settings.debounceMs(), firstChangeAt + settings.maxDelayMs())
                : synced ? lastCallAt + settings.checkMs() : Long.MAX_VALUE;
        return Math.max(due, retryAt);
    }

    /** Does what is due at {@code now} (it may compute the plans and call the relay); returns when to step next. */
    public long step(long now) {
        long covering;
        boolean pending;
        synchronized (lock) {
            if (now < dueAtLocked()) {
                return dueAtLocked();
            }
            covering = changes;
            pending = changes != published;
        }
        PlanBatch batch = PlanBatch.getDefaultInstance(); // without changes, the check: does the relay hold our plans?
        if (pending) {
            Optional<List<NetworkPlan>> current;
            try {
                current = plans.compute();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "network plans not computed", e);
                return failed(now);
            }
            if (current.isEmpty()) {
                return covered(covering); // the view is not loaded: its loading is a change, which brings the next step
            }
            batch = diff.next(current.get());
            if (batch.getPlansCount() == 0 && !batch.getFull()) {
                return covered(covering);
            }
        }
        PlanAck ack;
        try {
            ack = relay.publish(batch);
        } catch (RuntimeException e) {
            callsFailed++;
            LOG.warning("network plans not published (" + e.getMessage() + "): all of them go again after a backoff");
            diff.failed();
            return failed(now);
        }
        diff.acknowledged(batch, ack);
        batchesSent++;
        PlanBatch sent = batch;
        if (sent.getPlansCount() > 0 || sent.getFull()) {
            LOG.fine(() -> "published " + sent.getPlansCount() + " network plan(s)" + (sent.getFull() ? ", full" : ""));
        }
        synchronized (lock) {
            failures = 0;
            retryAt = 0;
            lastCallAt = now;
            published = covering;
            if (diff.needsFull()) {
                LOG.info("the dispatcher does not hold the network plans sent to it (restarted?): sending them all");
                markPendingLocked(now);
            }
            synced = !diff.needsFull();
            return dueAtLocked();
        }
    }

    private long covered(long covering) {
        synchronized (lock) {
            published = covering;
            return dueAtLocked();
        }
    }

    /** A failure: the plans are pending (again), after a backoff. */
    private long failed(long now) {
        synchronized (lock) {
            failures = Math.min(failures + 1, 16);
            retryAt = now + Math.min(settings.backoffMaxMs(), settings.backoffMinMs() << Math.min(failures - 1, 10));
            lastCallAt = now;
            synced = false;
            if (changes == published) {
                markPendingLocked(now);
            }
            return dueAtLocked();
        }
    }

    private void markPendingLocked(long now) {
        if (changes == published) {
            firstChangeAt = now;
        }
        lastChangeAt = now;
        changes++;
    }

    public long batchesSent() {
        return batchesSent;
    }

    public long callsFailed() {
        return callsFailed;
    }

    /** Runs the steps on a daemon thread. */
    public synchronized void start(String name) {
        if (running) {
            return;
        }
        running = true;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                step(clock.getAsLong());
                synchronized (lock) {
                    long wait;
                    while (running && (wait = dueAtLocked() - clock.getAsLong()) > 0) {
                        lock.wait(wait);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.log(Level.SEVERE, "network plan publisher step failed", e);
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
