package io.flotilla.state.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The store's one deterministic state machine: {@link #apply} is the only thing that changes state,
 * it uses no clock, no randomness and no I/O, and it never throws (a bad change is an outcome).
 *
 * <p>Index: every batch with at least one applied change takes the next store index, and every object
 * it changed gets that index as meta.version. A batch that applies nothing (all changes refused, or an
 * all-or-nothing batch with one refused change) consumes no index, so the event stream's indexes have
 * no holes. The index is part of the state and of the snapshot.
 *
 * <p>Materialized state: one concurrent map per kind, made by the table factory it is given: on a manager
 * an Infinispan local cache per kind ({@code raft.MaterializedCaches}), in domain tests a plain map. The
 * machine is their only writer. Reads take the read lock so that a list always reflects whole batches and
 * one index.
 */
public final class StoreStateMachine {
    private static final int SNAPSHOT_MAGIC = 0x464c5331; // "FLS1"
    private static final Kind[] KINDS = {Kind.KIND_CLUSTER, Kind.KIND_NODE, Kind.KIND_SERVICE, Kind.KIND_TASK, Kind.KIND_NETWORK};

    private final Map<Kind, ConcurrentMap<String, StoredObject>> tables = new EnumMap<>(Kind.class);
    private final Map<Kind, HashMap<String, String>> names = new EnumMap<>(Kind.class);
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final EventLog events;
    private volatile long index;

    /** A machine on the given tables: {@code tables} makes the (empty) table of each kind. */
    public StoreStateMachine(EventLog events, Function<Kind, ConcurrentMap<String, StoredObject>> tables) {
        this.events = events;
        for (Kind k : KINDS) {
            ConcurrentMap<String, StoredObject> table = tables.apply(k);
            table.clear();
            this.tables.put(k, table);
            names.put(k, new HashMap<>());
        }
    }

    /** A machine on plain in-memory maps. */
    public StoreStateMachine(EventLog events) {
        this(events, k -> new ConcurrentHashMap<>());
    }

    public StoreStateMachine() {
        this(new EventLog(100_000));
    }

    public EventLog events() {
        return events;
    }

    public long index() {
        return index;
    }

    public static List<Kind> kinds() {
        return List.of(KINDS);
    }

    // ------------------------------------------------------------------ apply

    private record Key(Kind kind, String id) {
    }

    /** Staged changes of one batch, seen by its later changes, written only if the batch is applied. */
    private final class Staging {
        final Map<Key, StoredObject> objects = new LinkedHashMap<>(); // null value: deleted
        final Map<Kind, Map<String, String>> names = new EnumMap<>(Kind.class); // null value: name freed

        StoredObject current(Kind kind, String id) {
            Key key = new Key(kind, id);
            if (objects.containsKey(key)) {
                return objects.get(key);
            }
            return tables.get(kind).get(id);
        }

        String nameOwner(Kind kind, String name) {
            Map<String, String> staged = names.get(kind);
            if (staged != null && staged.containsKey(name)) {
                return staged.get(name);
            }
            return StoreStateMachine.this.names.get(kind).get(name);
        }

        void setName(Kind kind, String name, String id) {
            names.computeIfAbsent(kind, k -> new HashMap<>()).put(name, id);
        }
    }

    /** Applies one committed command; never throws. */
    public ApplyResponse apply(ApplyRequest command) {
        lock.writeLock().lock();
        try {
            return applyLocked(command);
        } catch (RuntimeException e) {
            // A bug, not an input error: refuse the whole batch rather than leave half of it applied.
            ApplyResponse.Builder r = ApplyResponse.newBuilder().setIndex(index);
            for (int i = 0; i < command.getChangesCount(); i++) {
                r.addOutcomes(ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_INVALID)
                        .setMessage("internal error: " + e));
            }
            return r.build();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private ApplyResponse applyLocked(ApplyRequest command) {
        long next = index + 1;
        Staging staging = new Staging();
        List<ChangeOutcome> outcomes = new ArrayList<>(command.getChangesCount());
        List<StateEvent> batchEvents = new ArrayList<>(command.getChangesCount());
        boolean anyFailed = false;
        for (Change change : command.getChangesList()) {
            ChangeOutcome o = stage(change, next, staging, batchEvents);
            anyFailed |= o.getResult() != ChangeResult.RESULT_OK;
            outcomes.add(o);
        }
        if (!command.getPartial() && anyFailed) {
            List<ChangeOutcome> aborted = new ArrayList<>(outcomes.size());
            for (int i = 0; i < outcomes.size(); i++) {
                ChangeOutcome o = outcomes.get(i);
                if (o.getResult() == ChangeResult.RESULT_OK) {
                    Change c = command.getChanges(i);
                    StoredObject stored = tables.get(c.getKind()).get(o.getId());
                    o = ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_ABORTED).setId(o.getId())
                            .setCurrentVersion(stored == null ? 0 : StoredObjects.version(stored))
                            .setMessage("not applied: another change of this all-or-nothing batch failed").build();
                }
                aborted.add(o);
            }
            return ApplyResponse.newBuilder().setIndex(index).addAllOutcomes(aborted).setApplied(false).build();
        }
        if (batchEvents.isEmpty()) {
            return ApplyResponse.newBuilder().setIndex(index).addAllOutcomes(outcomes).setApplied(false).build();
        }
        for (Map.Entry<Key, StoredObject> e : staging.objects.entrySet()) {
            if (e.getValue() == null) {
                tables.get(e.getKey().kind()).remove(e.getKey().id());
            } else {
                tables.get(e.getKey().kind()).put(e.getKey().id(), e.getValue());
            }
        }
        for (Map.Entry<Kind, Map<String, String>> e : staging.names.entrySet()) {
            HashMap<String, String> table = names.get(e.getKey());
            e.getValue().forEach((name, id) -> {
                if (id == null) {
                    table.remove(name);
                } else {
                    table.put(name, id);
                }
            });
        }
        index = next;
        events.append(next, batchEvents);
        return ApplyResponse.newBuilder().setIndex(next).addAllOutcomes(outcomes).setApplied(true).build();
    }

    private ChangeOutcome stage(Change c, long next, Staging staging, List<StateEvent> out) {
        Kind kind = c.getKind();
        if (!tables.containsKey(kind)) {
            return refused(ChangeResult.RESULT_INVALID, c.getId(), 0, "unknown object kind " + c.getKindValue());
        }
        String id = c.getId();
        if (id.isEmpty()) {
            return refused(ChangeResult.RESULT_INVALID, id, 0, "the change has no id");
        }
        if (c.getOp() != Op.OP_DELETE) {
            if (!c.hasObject() || StoredObjects.kindOf(c.getObject()) != kind) {
                return refused(ChangeResult.RESULT_INVALID, id, 0,
                        "kind " + kind + " but the object is a " + StoredObjects.kindOf(c.getObject()));
            }
        }
        StoredObject current = staging.current(kind, id);
        long currentVersion = current == null ? 0 : StoredObjects.version(current);
        switch (c.getOp()) {
            case OP_CREATE: {
                if (current != null) {
                    return refused(ChangeResult.RESULT_ALREADY_EXISTS, id, currentVersion, "a " + kindName(kind) + " with id " + id + " exists");
                }
                if (c.getExpectedVersion() != 0) {
                    return refused(ChangeResult.RESULT_CONFLICT, id, 0, "a create expects version 0");
                }
                if (StoredObjects.uniqueNames(kind)) {
                    String name = StoredObjects.name(c.getObject());
                    String owner = staging.nameOwner(kind, name);
                    if (owner != null) {
                        return refused(ChangeResult.RESULT_NAME_CONFLICT, id, 0, "a " + kindName(kind) + " named " + name + " exists (" + owner + ")");
                    }
                    staging.setName(kind, name, id);
                }
                Meta m = StoredObjects.meta(c.getObject()).toBuilder().setId(id).setVersion(next).build();
                StoredObject created = StoredObjects.withMeta(c.getObject(), m);
                staging.objects.put(new Key(kind, id), created);
                out.add(event(kind, id, next, Op.OP_CREATE, created));
                return ok(id, next);
            }
            case OP_UPDATE: {
                if (current == null) {
                    return refused(ChangeResult.RESULT_NOT_FOUND, id, 0, kindName(kind) + " " + id + " not found");
                }
                if (c.getExpectedVersion() != currentVersion) {
                    return refused(ChangeResult.RESULT_CONFLICT, id, currentVersion,
                            "version " + c.getExpectedVersion() + " is stale: the stored one is " + currentVersion);
                }
                if (StoredObjects.uniqueNames(kind)) {
                    String oldName = StoredObjects.name(current);
                    String name = StoredObjects.name(c.getObject());
                    if (!name.equals(oldName)) {
                        String owner = staging.nameOwner(kind, name);
                        if (owner != null) {
                            return refused(ChangeResult.RESULT_NAME_CONFLICT, id, currentVersion, "a " + kindName(kind) + " named " + name + " exists (" + owner + ")");
                        }
                        staging.setName(kind, oldName, null);
                        staging.setName(kind, name, id);
                    }
                }
                Meta m = StoredObjects.meta(c.getObject()).toBuilder().setId(id).setVersion(next)
                        .setCreatedAtMs(StoredObjects.meta(current).getCreatedAtMs()).build();
                StoredObject updated = StoredObjects.withMeta(c.getObject(), m);
                staging.objects.put(new Key(kind, id), updated);
                out.add(event(kind, id, next, Op.OP_UPDATE, updated));
                return ok(id, next);
            }
            case OP_DELETE: {
                if (current == null) {
                    return refused(ChangeResult.RESULT_NOT_FOUND, id, 0, kindName(kind) + " " + id + " not found");
                }
                if (c.getExpectedVersion() != currentVersion) {
                    return refused(ChangeResult.RESULT_CONFLICT, id, currentVersion,
                            "version " + c.getExpectedVersion() + " is stale: the stored one is " + currentVersion);
                }
                if (StoredObjects.uniqueNames(kind)) {
                    staging.setName(kind, StoredObjects.name(current), null);
                }
                staging.objects.put(new Key(kind, id), null);
                out.add(event(kind, id, next, Op.OP_DELETE, current));
                return ok(id, 0);
            }
            default:
                return refused(ChangeResult.RESULT_INVALID, id, currentVersion, "unknown operation " + c.getOpValue());
        }
    }

    private static StateEvent event(Kind kind, String id, long index, Op op, StoredObject object) {
        return StateEvent.newBuilder().setKind(kind).setId(id).setVersion(op == Op.OP_DELETE ? StoredObjects.version(object) : index)
                .setIndex(index).setOp(op).setObject(object).build();
    }

    private static ChangeOutcome ok(String id, long version) {
        return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_OK).setId(id).setCurrentVersion(version).build();
    }

    private static ChangeOutcome refused(ChangeResult r, String id, long current, String message) {
        return ChangeOutcome.newBuilder().setResult(r).setId(id).setCurrentVersion(current).setMessage(message).build();
    }

    private static String kindName(Kind k) {
        return CommandPreparer.kindName(k);
    }

    // ------------------------------------------------------------------ reads

    public Optional<StoredObject> get(Kind kind, String id) {
        Map<String, StoredObject> t = tables.get(kind);
        return t == null ? Optional.empty() : Optional.ofNullable(t.get(id));
    }

    /** A consistent list (whole batches only) and the index it reflects. */
    public record Listing(List<StoredObject> objects, long index) {
    }

    public Listing list(Kind kind, Predicate<StoredObject> filter) {
        Map<String, StoredObject> t = tables.get(kind);
        if (t == null) {
            return new Listing(List.of(), index);
        }
        lock.readLock().lock();
        try {
            List<StoredObject> out = new ArrayList<>();
            for (StoredObject o : t.values()) {
                if (filter.test(o)) {
                    out.add(o);
                }
            }
            return new Listing(out, index);
        } finally {
            lock.readLock().unlock();
        }
    }

    public int size(Kind kind) {
        return tables.get(kind).size();
    }

    /**
     * Runs {@code action} with no batch being applied meanwhile: a watch takes its snapshot and
     * subscribes in one step this way.
     */
    public <T> T atomically(java.util.function.Supplier<T> action) {
        lock.writeLock().lock();
        try {
            return action.get();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Every object of the kinds; call inside {@link #atomically}. */
    public List<StoredObject> all(java.util.Collection<Kind> kinds) {
        List<StoredObject> out = new ArrayList<>();
        for (Kind k : kinds) {
            Map<String, StoredObject> t = tables.get(k);
            if (t != null) {
                out.addAll(t.values());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ snapshots

    /** Writes the whole state (index and objects): the Raft snapshot. */
    public void writeSnapshot(DataOutput out) throws IOException {
        lock.readLock().lock();
        try {
            out.writeInt(SNAPSHOT_MAGIC);
            out.writeLong(index);
            int count = 0;
            for (Kind k : KINDS) {
                count += tables.get(k).size();
            }
            out.writeInt(count);
            for (Kind k : KINDS) {
                for (StoredObject o : tables.get(k).values()) {
                    byte[] b = o.toByteArray();
                    out.writeInt(b.length);
                    out.write(b);
                }
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Replaces the whole state by a snapshot's; history restarts there and open watches are ended. */
    public void readSnapshot(DataInput in) throws IOException {
        int magic = in.readInt();
        if (magic != SNAPSHOT_MAGIC) {
            throw new IOException("not a flotilla store snapshot (magic " + Integer.toHexString(magic) + ")");
        }
        long newIndex = in.readLong();
        int count = in.readInt();
        Map<Kind, Map<String, StoredObject>> loaded = new EnumMap<>(Kind.class);
        for (int i = 0; i < count; i++) {
            byte[] b = new byte[in.readInt()];
            in.readFully(b);
            StoredObject o = StoredObject.parseFrom(b);
            loaded.computeIfAbsent(StoredObjects.kindOf(o), k -> new HashMap<>()).put(StoredObjects.id(o), o);
        }
        lock.writeLock().lock();
        try {
            for (Kind k : KINDS) {
                tables.get(k).clear();
                names.get(k).clear();
                Map<String, StoredObject> objects = loaded.getOrDefault(k, Map.of());
                tables.get(k).putAll(objects);
                if (StoredObjects.uniqueNames(k)) {
                    objects.forEach((id, o) -> names.get(k).put(StoredObjects.name(o), id));
                }
            }
            index = newIndex;
            events.reset(newIndex);
        } finally {
            lock.writeLock().unlock();
        }
    }
}
