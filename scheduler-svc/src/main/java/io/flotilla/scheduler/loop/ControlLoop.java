package io.flotilla.scheduler.loop;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.scheduler.orchestrator.Orchestrator;
import io.flotilla.scheduler.placement.TaskScheduler;
import io.flotilla.scheduler.plan.Plan;
import io.flotilla.scheduler.plan.PlanApplier;
import io.flotilla.scheduler.state.ClusterView;
import io.flotilla.scheduler.state.EncodedEvent;
import io.flotilla.scheduler.state.TaskStates;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The scheduler's reconcile loop. Event sources only hand in events (thread-safe); one worker thread
 * applies them to the view, which marks keys dirty (service ids and the scheduling key), waits a few
 * milliseconds to gather a burst (not after a quiet spell), then reconciles each dirty key level-based:
 * the orchestrator's plans for all dirty services go to the store as one partial batch, their outcomes
 * go into the view, and then one scheduling pass places every task awaiting placement. A rejected change (stale version, id taken)
 * or a failed call requeues its key with backoff; fresh state arrives meanwhile as events.
 */
public final class ControlLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlLoop.class.getName());

    /**
     * Tuning. A plan larger than maxBatch goes to the store as several partial Applies, up to inFlight of
     * them at once (the store commits concurrent requests together).
     */
    public record Options(long debounceMs, int maxBatch, long conflictBackoffMs, long errorBackoffMs,
                          long maxBackoffMs, int inFlight) {
        public Options(long debounceMs, int maxBatch, long conflictBackoffMs, long errorBackoffMs, long maxBackoffMs) {
            this(debounceMs, maxBatch, conflictBackoffMs, errorBackoffMs, maxBackoffMs, 1);
        }

        public static Options defaults() {
            return new Options(5, 1000, 10, 50, 5_000, 4);
        }

        public Options withInFlight(int n) {
            return new Options(debounceMs, maxBatch, conflictBackoffMs, errorBackoffMs, maxBackoffMs, Math.max(1, n));
        }
    }

    private final ClusterView view;
    private final Orchestrator orchestrator;
    private final TaskScheduler scheduler;
    private final PlanApplier applier;
    private final LongSupplier clock;
    private final Options options;
    /** Sends a plan's batches concurrently (null: one at a time, in the worker). */
    private final ExecutorService senders;

    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private final Map<String, Long> dueAt = new HashMap<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private volatile boolean running;
    private volatile boolean loaded;
    private long lastPassAt = Long.MIN_VALUE / 2; // worker thread only
    private Thread worker;

    private volatile long passes;
    private volatile long changesApplied;
    private volatile long changesRejected;

    public ControlLoop(ClusterView view, Orchestrator orchestrator, TaskScheduler scheduler, PlanApplier applier,
                       LongSupplier clock, Options options) {
        this.view = view;
        this.orchestrator = orchestrator;
        this.scheduler = scheduler;
        this.applier = applier;
        this.clock = clock;
        this.options = options;
        this.senders = options.inFlight() > 1 ? Executors.newFixedThreadPool(options.inFlight(), r -> {
            Thread t = new Thread(r, "scheduler-apply");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    // ------------------------------------------------------------------ inputs (any thread)

    private record Load(List<StoredObject> objects, long index) {
    }

    private record Key(String key) {
    }

    /** The initial list: every object at the given store index. */
    public void load(List<StoredObject> objects, long index) {
        offer(new Load(List.copyOf(objects), index));
    }

    public void submit(StateEvent event) {
        offer(event);
    }

    /** An event with its object still encoded: decoded in the worker only if the view lacks that version. */
    public void submit(EncodedEvent event) {
        offer(event);
    }

    public void enqueue(String key) {
        offer(new Key(key));
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

    public boolean loaded() {
        return loaded;
    }

    /** The store index the view has reached (events at or below it are dropped by sources). */
    public long index() {
        return view.index();
    }

    public long passes() {
        return passes;
    }

    public long changesApplied() {
        return changesApplied;
    }

    public long changesRejected() {
        return changesRejected;
    }

    // ------------------------------------------------------------------ worker

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
        if (senders != null) {
            senders.shutdownNow();
        }
        Thread w = worker;
        if (w != null) {
            w.interrupt();
            try {
                w.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (running) {
            try {
                awaitWork();
                if (!running) {
                    return;
                }
                // leading edge: work after a quiet spell (a failed task) is taken at once; a pass that follows
                // another within the debounce window waits for the window's end, gathering the burst
                long sinceLast = clock.getAsLong() - lastPassAt;
                if (options.debounceMs() > 0 && sinceLast < options.debounceMs()) {
                    Thread.sleep(options.debounceMs() - Math.max(0, sinceLast));
                }
                lastPassAt = clock.getAsLong();
                runOnce();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "reconcile pass failed", e);
            }
        }
    }

    private void awaitWork() throws InterruptedException {
        lock.lock();
        try {
            while (running && inbox.isEmpty()) {
                long next = nextDueMs();
                long now = clock.getAsLong();
                if (next <= now) {
                    return;
                }
                long waitMs = next == Long.MAX_VALUE ? 1_000 : Math.min(1_000, next - now);
                signal.await(waitMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The earliest time a queued key is due (Long.MAX_VALUE if none). Worker thread only. */
    public long nextDueMs() {
        long min = Long.MAX_VALUE;
        for (long t : dueAt.values()) {
            min = Math.min(min, t);
        }
        return min;
    }

    /**
     * One pass: applies queued inputs to the view, then reconciles every key that is due. Returns the
     * number of changes the store applied. Worker thread only (tests call it directly).
     */
    public int runOnce() {
        long now = clock.getAsLong();
        Object in;
        while ((in = inbox.poll()) != null) {
            if (in instanceof EncodedEvent e) {
                markDirty(view.apply(e), now);
            } else if (in instanceof StateEvent e) {
                markDirty(view.apply(e), now);
            } else if (in instanceof Load l) {
                for (StoredObject o : l.objects()) {
                    markDirty(view.upsert(o, 0), now);
                }
                view.setIndex(l.index());
                for (var s : view.services()) {
                    markDirty(Set.of(s.getMeta().getId()), now);
                }
                markDirty(view.serviceIdsWithTasks(), now);
                markDirty(Set.of(ClusterView.SCHEDULE_KEY), now);
                loaded = true;
            } else if (in instanceof Key k) {
                markDirty(Set.of(k.key()), now);
            }
        }
        List<String> due = new ArrayList<>();
        boolean schedule = false;
        for (var it = dueAt.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue() <= now) {
                it.remove();
                if (e.getKey().equals(ClusterView.SCHEDULE_KEY)) {
                    schedule = true;
                } else {
                    due.add(e.getKey());
                }
            }
        }
        if (due.isEmpty() && !schedule) {
            return 0;
        }
        passes++;
        int applied = 0;
        if (!due.isEmpty()) {
            // service by service: the orchestrator's plan, its new tasks placed (created already assigned),
            // sent in batches as they fill, so that the store commits while the next services are worked out
            Sending out = new Sending();
            try {
                for (String serviceId : due) {
                    Plan p = orchestrator.reconcile(view, serviceId, now);
                    if (p.wakeAtMs() != Long.MAX_VALUE) {
                        requeueAt(serviceId, p.wakeAtMs());
                    }
                    List<Task> created = new ArrayList<>();
                    for (Change c : p.changes()) {
                        if (c.getOp() == Op.OP_CREATE && c.getObject().hasTask()
                                && TaskStates.awaitingPlacement(c.getObject().getTask())) {
                            created.add(c.getObject().getTask());
                        } else {
                            out.add(c, serviceId);
                        }
                    }
                    if (!created.isEmpty()) {
                        for (Change c : scheduler.scheduleNew(view, created, now).changes()) {
                            out.add(c, serviceId);
                        }
                    }
                }
            } finally {
                // the view counts the new tasks on their nodes once their writes are recorded (finish)
                view.nodeTable().endPass();
            }
            if (!out.isEmpty()) {
                schedule = true;
                applied += out.finish(Set.copyOf(due), now);
            }
        }
        if (schedule) {
            Plan plan = scheduler.schedule(view, now);
            applied += apply(plan.changes(), i -> ClusterView.SCHEDULE_KEY, Set.of(ClusterView.SCHEDULE_KEY), now);
        }
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine("pass: " + due.size() + " service(s)" + (schedule ? " and scheduling" : "") + ", " + applied
                    + " change(s) applied in " + (clock.getAsLong() - now) + " ms");
        }
        return applied;
    }

    private interface KeyOf {
        String key(int changeIndex);
    }

    private int apply(List<Change> changes, KeyOf keyOf, Set<String> keys, long now) {
        Sending out = new Sending();
        for (int i = 0; i < changes.size(); i++) {
            out.add(changes.get(i), keyOf.key(i));
        }
        return out.finish(keys, now);
    }

    /**
     * A plan on its way to the store: each batch of maxBatch changes is sent (a partial Apply) as soon as it
     * is full, up to inFlight at once (the store commits concurrent requests together); nothing more is sent
     * after a failed call. {@link #finish} sends the rest, then takes the outcomes in plan order into the view
     * and requeues keys. Worker thread only.
     */
    private final class Sending {
        private final List<Change> changes = new ArrayList<>();
        private final List<String> keyOfChange = new ArrayList<>();
        private final List<Future<ApplyResponse>> sent = new ArrayList<>();
        private int awaited;
        private boolean failed;

        void add(Change c, String key) {
            changes.add(c);
            keyOfChange.add(key);
            if (changes.size() - sentChanges() >= options.maxBatch()) {
                sendNext();
            }
        }

        boolean isEmpty() {
            return changes.isEmpty();
        }

        private int sentChanges() {
            return sent.size() * options.maxBatch();
        }

        private void sendNext() {
            int window = senders == null ? 1 : options.inFlight();
            while (!failed && sent.size() - awaited >= window) {
                await(sent.get(awaited++));
            }
            if (failed) {
                return;
            }
            int from = sentChanges();
            ApplyRequest request = ApplyRequest.newBuilder()
                    .addAllChanges(changes.subList(from, Math.min(changes.size(), from + options.maxBatch())))
                    .setPartial(true).build();
            if (senders != null) {
                sent.add(senders.submit(() -> applier.apply(request)));
                return;
            }
            CompletableFuture<ApplyResponse> f = new CompletableFuture<>();
            try {
                f.complete(applier.apply(request));
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
            sent.add(f);
        }

        /** Waits for a call; its response, or null (and the plan marked failed) if it failed. */
        private ApplyResponse await(Future<ApplyResponse> f) {
            try {
                return f.get();
            } catch (ExecutionException | RuntimeException e) {
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                if (!failed) {
                    LOG.log(Level.WARNING, "store write failed: " + cause.getMessage());
                }
                failed = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed = true;
            }
            return null;
        }

        int finish(Set<String> keys, long now) {
            if (!failed && sentChanges() < changes.size()) {
                sendNext();
            }
            Set<String> rejectedKeys = new LinkedHashSet<>();
            int applied = 0;
            for (int b = 0; b < sent.size(); b++) {
                ApplyResponse response = await(sent.get(b));
                if (response == null) {
                    continue; // the other batches' outcomes still go into the view
                }
                int from = b * options.maxBatch();
                List<Change> batch = changes.subList(from, Math.min(changes.size(), from + options.maxBatch()));
                for (int i = 0; i < batch.size(); i++) {
                    ChangeOutcome outcome = i < response.getOutcomesCount() ? response.getOutcomes(i) : null;
                    Change c = batch.get(i);
                    if (outcome != null && outcome.getResult() == ChangeResult.RESULT_OK) {
                        applied++;
                        recordOwnWrite(c, outcome, response.getIndex());
                    } else {
                        changesRejected++;
                        if (outcome != null && outcome.getResult() == ChangeResult.RESULT_NOT_FOUND
                                && c.getOp() == Op.OP_DELETE) {
                            continue; // already gone: what was wanted
                        }
                        rejectedKeys.add(keyOfChange.get(from + i));
                    }
                }
            }
            changesApplied += applied;
            for (String k : keys) {
                if (failed) {
                    backoff(k, options.errorBackoffMs(), now);
                } else if (rejectedKeys.contains(k)) {
                    backoff(k, options.conflictBackoffMs(), now);
                } else {
                    failures.remove(k);
                }
            }
            return applied;
        }
    }

    private void recordOwnWrite(Change c, ChangeOutcome outcome, long index) {
        if (c.getOp() == Op.OP_DELETE) {
            view.delete(c.getKind(), c.getId(), Math.max(index, outcome.getCurrentVersion()));
            return;
        }
        StoredObject o = c.getObject();
        if (o.hasTask() && !outcome.getId().isEmpty() && !outcome.getId().equals(o.getTask().getMeta().getId())) {
            Task t = o.getTask();
            o = StoredObject.newBuilder().setTask(t.toBuilder().setMeta(t.getMeta().toBuilder().setId(outcome.getId())))
                    .build();
        }
        long version = outcome.getCurrentVersion() > 0 ? outcome.getCurrentVersion() : index;
        view.upsert(o, version);
    }

    private void backoff(String key, long baseMs, long now) {
        int n = failures.merge(key, 1, Integer::sum);
        long delay = Math.min(options.maxBackoffMs(), baseMs << Math.min(n - 1, 16));
        requeueAt(key, now + delay);
    }

    private void requeueAt(String key, long at) {
        dueAt.merge(key, at, Math::min);
    }

    private void markDirty(Set<String> keys, long now) {
        for (String k : keys) {
            dueAt.put(k, Math.min(now, dueAt.getOrDefault(k, now)));
        }
    }
}
