package io.flotilla.network.loop;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.network.allocator.Allocator;
import io.flotilla.network.view.NetworkView;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * network-svc's reconcile loop. Sources hand in the initial list and then events (any thread); one worker
 * applies them to the view, gathers a burst for a few milliseconds, and runs a level-based allocation pass
 * whose changes go to the store as partial batches (compare-and-set on the versions read). Applied changes
 * go into the view at once (so the next pass does not allocate twice); a rejected one (stale version) is
 * simply retried on the next pass, after the fresh state has arrived, with backoff. Passes run only while
 * {@code active} says so (the network-svc beside the Raft leader: one allocator at a time). Other readers of
 * the view (the plan publisher, on every manager) learn of its changes from {@link #onViewChange} and read it
 * on the worker through {@link #read}.
 */
public final class AllocatorLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AllocatorLoop.class.getName());
    private static final int MAX_BATCH = 1000;

    private final NetworkView view = new NetworkView();
    private final Allocator allocator;
    private final Function<ApplyRequest, ApplyResponse> store;
    private final BooleanSupplier active;
    private final LongSupplier clock;
    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private volatile boolean running;
    private volatile boolean loaded;
    private Thread worker;
    private long retryAt = Long.MAX_VALUE;
    private int failures;
    private volatile long changesApplied;
    private volatile long changesRejected;
    private volatile Runnable viewChanged = () -> { };

    private record Load(List<StoredObject> objects, long index) {
    }

    private record Read<T>(Function<NetworkView, T> reader, CompletableFuture<Optional<T>> result) {
        void run(NetworkView view, boolean loaded) {
            try {
                result.complete(loaded ? Optional.ofNullable(reader.apply(view)) : Optional.empty());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }
    }

    public AllocatorLoop(Allocator allocator, Function<ApplyRequest, ApplyResponse> store, BooleanSupplier active,
                         LongSupplier clock) {
        this.allocator = allocator;
        this.store = store;
        this.active = active;
        this.clock = clock;
    }

    public void load(List<StoredObject> objects, long index) {
        offer(new Load(List.copyOf(objects), index));
    }

    public void submit(StateEvent e) {
        offer(e);
    }

    private void offer(Object o) {
        inbox.add(o);
        lock.lock();
        try {
            signal.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Called on the worker after each pass in which the view changed: keep it short (note the change, return). */
    public void onViewChange(Runnable listener) {
        this.viewChanged = listener;
    }

    /**
     * Runs {@code reader} on the worker, after the inputs handed in before it (and that pass's allocations);
     * empty while the view is not loaded. A read alone does not hasten an allocation retry.
     */
    public <T> CompletableFuture<Optional<T>> read(Function<NetworkView, T> reader) {
        CompletableFuture<Optional<T>> result = new CompletableFuture<>();
        offer(new Read<>(reader, result));
        return result;
    }

    public boolean loaded() {
        return loaded;
    }

    public long index() {
        return view.index();
    }

    /** The view, for the plan computation; read it only from the worker (or when stopped, in tests). */
    public NetworkView view() {
        return view;
    }

    public long changesApplied() {
        return changesApplied;
    }

    public long changesRejected() {
        return changesRejected;
    }

    public synchronized void start(String name) {
        if (running) {
            return;
        }
        running = true;
        worker = new Thread(this::run, name);
        worker.setDaemon(true);
        worker.start();
    }

    @Override
    public void close() {
        running = false;
        if (worker != null) {
            worker.interrupt();
        }
    }

    private void run() {
        while (running) {
            try {
                lock.lock();
                try {
                    while (running && inbox.isEmpty() && clock.getAsLong() < retryAt) {
                        signal.await(Math.max(1, Math.min(1000, retryAt - clock.getAsLong())), TimeUnit.MILLISECONDS);
                    }
                } finally {
                    lock.unlock();
                }
                Thread.sleep(5);
                runOnce();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "allocation pass failed", e);
                backoff();
            }
        }
    }

    /**
     * Applies queued inputs, then one allocation pass if active, then the queued reads. Returns the changes the
     * store applied.
     */
    public int runOnce() {
        Object in;
        boolean inputs = false;
        boolean changed = false;
        List<Read<?>> reads = new ArrayList<>();
        while ((in = inbox.poll()) != null) {
            if (in instanceof StateEvent e) {
                inputs = true;
                changed |= view.apply(e);
            } else if (in instanceof Load l) {
                inputs = true;
                for (StoredObject o : l.objects()) {
                    view.upsert(o, 0);
                }
                view.setIndex(l.index());
                loaded = true;
                changed = true;
            } else if (in instanceof Read<?> r) {
                reads.add(r);
            }
        }
        boolean onlyReads = !inputs && !reads.isEmpty();
        int applied = onlyReads && clock.getAsLong() < retryAt ? 0 : allocate();
        if (changed || applied > 0) {
            try {
                viewChanged.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "view change listener failed", e);
            }
        }
        for (Read<?> r : reads) {
            r.run(view, loaded);
        }
        return applied;
    }

    private int allocate() {
        retryAt = Long.MAX_VALUE;
        if (!loaded) {
            return 0;
        }
        if (!active.getAsBoolean()) {
            retryAt = clock.getAsLong() + 1000; // look again: leadership may have come here
            return 0;
        }
        List<Change> changes = allocator.reconcile(view, clock.getAsLong());
        int applied = 0;
        boolean rejected = false;
        for (int from = 0; from < changes.size(); from += MAX_BATCH) {
            List<Change> batch = changes.subList(from, Math.min(changes.size(), from + MAX_BATCH));
            ApplyResponse r;
            try {
                r = store.apply(ApplyRequest.newBuilder().addAllChanges(batch).setPartial(true).build());
            } catch (RuntimeException e) {
                LOG.warning("store write failed: " + e.getMessage());
                backoff();
                return applied;
            }
            for (int i = 0; i < batch.size(); i++) {
                ChangeOutcome o = i < r.getOutcomesCount() ? r.getOutcomes(i) : null;
                if (o != null && o.getResult() == ChangeResult.RESULT_OK) {
                    applied++;
                    view.upsert(batch.get(i).getObject(), o.getCurrentVersion() > 0 ? o.getCurrentVersion() : r.getIndex());
                } else {
                    rejected = true;
                    changesRejected++;
                }
            }
        }
        changesApplied += applied;
        if (rejected) {
            backoff();
        } else {
            failures = 0;
        }
        return applied;
    }

    private void backoff() {
        failures = Math.min(failures + 1, 10);
        retryAt = clock.getAsLong() + Math.min(5_000, 20L << (failures - 1));
    }
}
