package io.flotilla.gateway.store;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.WatchResponse;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A copy of the store kept by its Watch (store.proto): a watch from index 0 sends the state as a snapshot, then
 * every later batch of changes in index order, each message saying up to which index it is complete. The gateway
 * answers its reads from it instead of calling the store for each (the CLI's progress display, {@code service ps}
 * and every script poll {@code GET /tasks}). A read sees whole batches only, as the store's List.
 * <p>
 * It is live from the end of a snapshot until its watch ends. While a new watch sends its snapshot, what was held
 * is kept and replaced in one step when the snapshot is complete (a store that restarted, or a new swarm's).
 * Not thread-confined: one watch feeds it, any thread reads.
 */
final class StoreView {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Condition advanced = lock.writeLock().newCondition();
    private Map<Kind, Map<String, StoredObject>> tables = emptyTables();
    /** Tasks by service id: the one filter every task poll has. */
    private Map<String, Map<String, StoredObject>> tasksByService = new HashMap<>();
    /** The snapshot being received, null when none is. */
    private Map<Kind, Map<String, StoredObject>> incoming;
    private long index;
    private boolean live;

    /** A new watch from index 0 is opening: its snapshot will replace what is held. */
    void restart() {
        lock.writeLock().lock();
        try {
            live = false;
            incoming = emptyTables();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The watch ended: nothing is read from the view until a new one has sent its snapshot. */
    void ended() {
        lock.writeLock().lock();
        try {
            live = false;
            incoming = null;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** One message of the watch, in the order the store sent them. */
    void accept(WatchResponse r) {
        lock.writeLock().lock();
        try {
            if (incoming != null) {
                for (StateEvent e : r.getEventsList()) {
                    change(incoming, null, e);
                }
                if (r.getSnapshotComplete()) {
                    tables = incoming;
                    incoming = null;
                    tasksByService = new HashMap<>();
                    for (StoredObject t : tables.get(Kind.KIND_TASK).values()) {
                        tasksByService.computeIfAbsent(t.getTask().getServiceId(), k -> new HashMap<>())
                                .put(t.getTask().getMeta().getId(), t);
                    }
                    index = r.getIndex();
                    live = true;
                }
            } else if (live) {
                for (StateEvent e : r.getEventsList()) {
                    change(tables, tasksByService, e);
                }
                index = Math.max(index, r.getIndex());
            }
            advanced.signalAll();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static void change(Map<Kind, Map<String, StoredObject>> into, Map<String, Map<String, StoredObject>> byService,
                               StateEvent e) {
        Map<String, StoredObject> table = into.get(e.getKind());
        if (table == null) {
            return;
        }
        String serviceId = e.getKind() == Kind.KIND_TASK ? e.getObject().getTask().getServiceId() : null;
        if (e.getOp() == Op.OP_DELETE) {
            table.remove(e.getId());
            if (serviceId != null && byService != null) {
                Map<String, StoredObject> tasks = byService.get(serviceId);
                if (tasks != null) {
                    tasks.remove(e.getId());
                    if (tasks.isEmpty()) {
                        byService.remove(serviceId);
                    }
                }
            }
        } else {
            table.put(e.getId(), e.getObject());
            if (serviceId != null && byService != null) {
                byService.computeIfAbsent(serviceId, k -> new HashMap<>()).put(e.getId(), e.getObject());
            }
        }
    }

    /**
     * Whether reads may come from the view for a caller that has seen the store at {@code index} (its own last
     * write): false at once when the view is not live; when it is but has not got that far, waits up to
     * {@code waitMs} for the watch to bring it.
     */
    boolean readableAt(long index, long waitMs) {
        lock.readLock().lock();
        try {
            if (!live) {
                return false;
            }
            if (this.index >= index) {
                return true;
            }
        } finally {
            lock.readLock().unlock();
        }
        lock.writeLock().lock();
        try {
            long left = TimeUnit.MILLISECONDS.toNanos(waitMs);
            while (live && this.index < index && left > 0) {
                left = advanced.awaitNanos(left);
            }
            return live && this.index >= index;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The index every change up to which the view holds (0 before a snapshot). */
    long index() {
        lock.readLock().lock();
        try {
            return index;
        } finally {
            lock.readLock().unlock();
        }
    }

    Optional<StoredObject> get(Kind kind, String id) {
        lock.readLock().lock();
        try {
            Map<String, StoredObject> table = tables.get(kind);
            return table == null ? Optional.empty() : Optional.ofNullable(table.get(id));
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Objects of a kind matching every filter, as the store's List: the filters the gateway reads with, the "name"
     * of a service or network (the kinds it looks up by name: {@code service.Lookup}), a task's "service_id" and
     * "node_id".
     *
     * @throws IllegalArgumentException for any other filter (the caller asks the store, which answers or refuses it)
     */
    List<StoredObject> list(Kind kind, Map<String, String> filters) {
        Predicate<StoredObject> p = o -> true;
        for (Map.Entry<String, String> f : filters.entrySet()) {
            Function<StoredObject, String> field = switch (f.getKey()) {
                case "name" -> kind == Kind.KIND_SERVICE ? o -> o.getService().getSpec().getName()
                        : kind == Kind.KIND_NETWORK ? o -> o.getNetwork().getName() : null;
                case "service_id" -> kind == Kind.KIND_TASK ? o -> o.getTask().getServiceId() : null;
                case "node_id" -> kind == Kind.KIND_TASK ? o -> o.getTask().getNodeId() : null;
                default -> null;
            };
            if (field == null) {
                throw new IllegalArgumentException("filter '" + f.getKey() + "' on " + kind + " is the store's to answer");
            }
            String wanted = f.getValue();
            p = p.and(o -> wanted.equals(field.apply(o)));
        }
        lock.readLock().lock();
        try {
            Collection<StoredObject> from;
            if (kind == Kind.KIND_TASK && filters.containsKey("service_id")) {
                from = tasksByService.getOrDefault(filters.get("service_id"), Map.of()).values();
            } else {
                Map<String, StoredObject> table = tables.get(kind);
                from = table == null ? List.of() : table.values();
            }
            List<StoredObject> out = new ArrayList<>();
            for (StoredObject o : from) {
                if (p.test(o)) {
                    out.add(o);
                }
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    private static Map<Kind, Map<String, StoredObject>> emptyTables() {
        Map<Kind, Map<String, StoredObject>> t = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            if (k != Kind.KIND_UNSPECIFIED && k != Kind.UNRECOGNIZED) {
                t.put(k, new HashMap<>());
            }
        }
        return t;
    }
}
