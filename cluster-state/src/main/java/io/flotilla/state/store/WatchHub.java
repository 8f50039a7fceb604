package io.flotilla.state.store;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.WatchResponse;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Opens watches on a state machine: a snapshot and the subscription are taken in one step under the
 * state machine's lock, so a watcher sees every change after its snapshot exactly once, in index order.
 * Each watch delivers from one task at a time on the shared executor (never two threads at once). The
 * watchers that want the same events of a batch share one {@link WatchMessage} (built, and encoded, once).
 */
public final class WatchHub {
    /** Events per message of a snapshot. */
    static final int SNAPSHOT_CHUNK = 500;
    /** A watcher this many events behind is ended (it must watch again). */
    static final int MAX_BACKLOG_EVENTS = 200_000;

    private final StoreStateMachine machine;
    private final Executor executor;
    /** The messages made for the latest batch, by the kinds of its events they hold. */
    private EventLog.Batch sharedBatch;
    private final Map<Set<Kind>, WatchMessage> shared = new HashMap<>();

    public WatchHub(StoreStateMachine machine, Executor executor) {
        this.machine = machine;
        this.executor = executor;
    }

    /**
     * A snapshot of the state followed by every later change (fromIndex 0), or every change after fromIndex
     * from the history (FAILED_PRECONDITION when the history no longer reaches back there).
     */
    public StateStore.Watch open(Set<Kind> kinds, long fromIndex, Consumer<WatchResponse> listener, Consumer<Throwable> onError) {
        return open(kinds, fromIndex, fromIndex == 0, m -> listener.accept(m.message()), onError);
    }

    /** As {@link #open}, with the messages as shared: for a watcher that sends them on as bytes. */
    public StateStore.Watch openMessages(Set<Kind> kinds, long fromIndex, Consumer<WatchMessage> listener, Consumer<Throwable> onError) {
        return open(kinds, fromIndex, fromIndex == 0, listener, onError);
    }

    /**
     * Every change after afterIndex, from the history, then every later one; afterIndex 0 means the whole
     * history from the first index (never a snapshot). FAILED_PRECONDITION when the history no longer
     * reaches back there. The event publisher replays this way, so that an empty topic gets index 1 onwards.
     */
    public StateStore.Watch openHistory(Set<Kind> kinds, long afterIndex, Consumer<WatchResponse> listener,
                                        Consumer<Throwable> onError) {
        return open(kinds, afterIndex, false, m -> listener.accept(m.message()), onError);
    }

    /**
     * The message of a batch's events of the given kinds, or null when it has none: the same instance for every
     * watcher that gets the same events (called under the event log's lock, batch after batch).
     */
    private synchronized WatchMessage messageFor(EventLog.Batch batch, Set<Kind> kinds) {
        if (sharedBatch != batch) {
            sharedBatch = batch;
            shared.clear();
        }
        EnumSet<Kind> present = EnumSet.noneOf(Kind.class);
        for (StateEvent e : batch.events()) {
            if (kinds.contains(e.getKind())) {
                present.add(e.getKind());
            }
        }
        if (present.isEmpty()) {
            return null;
        }
        return shared.computeIfAbsent(present, k -> {
            List<StateEvent> mine = new ArrayList<>(batch.events().size());
            for (StateEvent e : batch.events()) {
                if (k.contains(e.getKind())) {
                    mine.add(e);
                }
            }
            return new WatchMessage(WatchResponse.newBuilder().setIndex(batch.index()).addAllEvents(mine).build());
        });
    }

    private StateStore.Watch open(Set<Kind> kinds, long fromIndex, boolean snapshot, Consumer<WatchMessage> listener,
                                  Consumer<Throwable> onError) {
        Set<Kind> wanted = kinds.isEmpty() ? EnumSet.copyOf(StoreStateMachine.kinds()) : EnumSet.copyOf(kinds);
        Watcher w = new Watcher(wanted, listener, onError);
        machine.atomically(() -> {
            if (snapshot) {
                w.enqueueSnapshot(machine.all(wanted), machine.index());
            } else {
                for (EventLog.Batch b : machine.events().since(fromIndex)) {
                    w.onBatch(b);
                }
            }
            machine.events().subscribe(w);
            return null;
        });
        return w;
    }

    private final class Watcher implements EventLog.Subscriber, StateStore.Watch {
        private final Set<Kind> kinds;
        private final Consumer<WatchMessage> listener;
        private final Consumer<Throwable> onError;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private boolean running;
        private volatile boolean closed;
        private int backlog;

        Watcher(Set<Kind> kinds, Consumer<WatchMessage> listener, Consumer<Throwable> onError) {
            this.kinds = kinds;
            this.listener = listener;
            this.onError = onError;
        }

        void enqueueSnapshot(List<StoredObject> objects, long index) {
            int i = 0;
            do {
                WatchResponse.Builder r = WatchResponse.newBuilder().setIndex(index);
                for (int end = Math.min(objects.size(), i + SNAPSHOT_CHUNK); i < end; i++) {
                    StoredObject o = objects.get(i);
                    r.addEvents(StateEvent.newBuilder().setKind(StoredObjects.kindOf(o)).setId(StoredObjects.id(o))
                            .setVersion(StoredObjects.version(o)).setIndex(index).setOp(Op.OP_CREATE)
                            .setObject(o).setSnapshot(true));
                }
                r.setSnapshotComplete(i >= objects.size());
                WatchMessage msg = new WatchMessage(r.build());
                enqueue(() -> listener.accept(msg), msg.message().getEventsCount());
            } while (i < objects.size());
        }

        @Override
        public void onBatch(EventLog.Batch batch) {
            WatchMessage msg = messageFor(batch, kinds);
            if (msg == null) {
                return;
            }
            enqueue(() -> listener.accept(msg), msg.message().getEventsCount());
        }

        @Override
        public void onReset(String why) {
            fail(new StoreException(StoreException.Reason.FAILED_PRECONDITION, why));
        }

        private void fail(Throwable t) {
            close();
            enqueueFinal(() -> onError.accept(t));
        }

        private synchronized void enqueueFinal(Runnable r) {
            queue.clear();
            queue.add(r);
            schedule();
        }

        private void enqueue(Runnable r, int events) {
            boolean overflow;
            synchronized (this) {
                if (closed) {
                    return;
                }
                backlog += events;
                overflow = backlog > MAX_BACKLOG_EVENTS;
                if (!overflow) {
                    queue.add(() -> {
                        r.run();
                        synchronized (this) {
                            backlog -= events;
                        }
                    });
                    schedule();
                }
            }
            if (overflow) {
                fail(new StoreException(StoreException.Reason.FAILED_PRECONDITION,
                        "watcher fell more than " + MAX_BACKLOG_EVENTS + " events behind; watch again"));
            }
        }

        /** Called holding this monitor. */
        private void schedule() {
            if (!running && !queue.isEmpty()) {
                running = true;
                executor.execute(this::drain);
            }
        }

        private void drain() {
            while (true) {
                Runnable r;
                synchronized (this) {
                    r = queue.poll();
                    if (r == null) {
                        running = false;
                        return;
                    }
                }
                try {
                    r.run();
                } catch (RuntimeException e) {
                    close();
                    synchronized (this) {
                        queue.clear();
                    }
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            machine.events().unsubscribe(this);
        }
    }
}
