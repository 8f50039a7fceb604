package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.state.store.StateStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An in-memory StateStore with the real one's semantics: every applied batch gets the next index,
 * which becomes the version of the objects it changed; compare-and-set on expected_version; partial
 * or all-or-nothing batches; watches from 0 get a snapshot then every change, in order. Only nodes and
 * tasks, which is what the dispatcher uses.
 */
final class FakeStateStore implements StateStore {

    /** The Raft members this fake claims (a node with such an id is a manager). */
    final java.util.Set<String> raftMembers = new java.util.concurrent.CopyOnWriteArraySet<>();

    @Override
    public java.util.Set<String> raftMembers() {
        return java.util.Set.copyOf(raftMembers);
    }


    private final Map<Kind, Map<String, StoredObject>> objects = new HashMap<>();
    private final List<Consumer<WatchResponse>> watchers = new CopyOnWriteArrayList<>();
    private long index;
    private int applies;
    /** Run once at the start of the next apply: another writer getting in first. */
    volatile Runnable beforeNextApply;

    @Override
    public synchronized CompletionStage<ApplyResponse> apply(ApplyRequest request) {
        Runnable other = beforeNextApply;
        if (other != null) {
            beforeNextApply = null;
            other.run();
        }
        applies++;
        long next = index + 1;
        Map<Kind, Map<String, StoredObject>> work = copy();
        List<ChangeOutcome> outcomes = new ArrayList<>();
        List<StateEvent> events = new ArrayList<>();
        boolean failed = false;
        for (Change c : request.getChangesList()) {
            Map<String, StoredObject> m = work.computeIfAbsent(c.getKind(), k -> new TreeMap<>());
            String id = c.getId();
            StoredObject cur = m.get(id);
            long curVersion = cur == null ? 0 : meta(cur).getVersion();
            ChangeResult r;
            if (c.getOp() == Op.OP_CREATE) {
                r = cur != null ? ChangeResult.RESULT_ALREADY_EXISTS
                        : c.getExpectedVersion() != 0 ? ChangeResult.RESULT_CONFLICT : ChangeResult.RESULT_OK;
            } else if (cur == null) {
                r = ChangeResult.RESULT_NOT_FOUND;
            } else {
                r = c.getExpectedVersion() != curVersion ? ChangeResult.RESULT_CONFLICT : ChangeResult.RESULT_OK;
            }
            if (r != ChangeResult.RESULT_OK) {
                failed = true;
                outcomes.add(ChangeOutcome.newBuilder().setResult(r).setId(id).setCurrentVersion(curVersion).build());
                continue;
            }
            StoredObject after;
            if (c.getOp() == Op.OP_DELETE) {
                after = cur;
                m.remove(id);
            } else {
                after = withMeta(c.getObject(), meta(c.getObject()).toBuilder().setId(id).setVersion(next).build());
                m.put(id, after);
            }
            outcomes.add(ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_OK).setId(id).setCurrentVersion(next).build());
            events.add(StateEvent.newBuilder().setKind(c.getKind()).setId(id).setVersion(next).setIndex(next)
                    .setOp(c.getOp()).setObject(after).build());
        }
        if (failed && !request.getPartial()) {
            List<ChangeOutcome> aborted = new ArrayList<>();
            for (ChangeOutcome o : outcomes) {
                aborted.add(o.getResult() == ChangeResult.RESULT_OK
                        ? o.toBuilder().setResult(ChangeResult.RESULT_ABORTED).setCurrentVersion(0).build() : o);
            }
            return CompletableFuture.completedFuture(ApplyResponse.newBuilder().setIndex(index).addAllOutcomes(aborted).build());
        }
        if (!events.isEmpty()) {
            objects.clear();
            objects.putAll(work);
            index = next;
            WatchResponse w = WatchResponse.newBuilder().addAllEvents(events).setIndex(index).build();
            watchers.forEach(l -> l.accept(w));
        }
        return CompletableFuture.completedFuture(ApplyResponse.newBuilder().setIndex(index).addAllOutcomes(outcomes)
                .setApplied(!events.isEmpty()).build());
    }

    @Override
    public synchronized Optional<StoredObject> get(Kind kind, String id) {
        return Optional.ofNullable(objects.getOrDefault(kind, Map.of()).get(id));
    }

    @Override
    public synchronized List<StoredObject> list(Kind kind, Map<String, String> filters) {
        return List.copyOf(objects.getOrDefault(kind, Map.of()).values());
    }

    @Override
    public synchronized long index() {
        return index;
    }

    @Override
    public synchronized Watch watch(Set<Kind> kinds, long fromIndex, Consumer<WatchResponse> listener) {
        if (fromIndex != 0) {
            throw new UnsupportedOperationException("the fake keeps no history");
        }
        WatchResponse.Builder snap = WatchResponse.newBuilder().setIndex(index).setSnapshotComplete(true);
        objects.forEach((kind, m) -> {
            if (kinds.isEmpty() || kinds.contains(kind)) {
                m.forEach((id, o) -> snap.addEvents(StateEvent.newBuilder().setKind(kind).setId(id)
                        .setVersion(meta(o).getVersion()).setIndex(index).setOp(Op.OP_CREATE).setObject(o).setSnapshot(true)));
            }
        });
        listener.accept(snap.build());
        Consumer<WatchResponse> filtered = r -> {
            WatchResponse.Builder b = r.toBuilder().clearEvents();
            r.getEventsList().stream().filter(e -> kinds.isEmpty() || kinds.contains(e.getKind())).forEach(b::addEvents);
            listener.accept(b.build());
        };
        watchers.add(filtered);
        return () -> watchers.remove(filtered);
    }

    /** Number of apply calls so far (applied or not). */
    synchronized int applies() {
        return applies;
    }

    Optional<Node> node(String id) {
        return get(Kind.KIND_NODE, id).map(StoredObject::getNode);
    }

    Optional<Task> task(String id) {
        return get(Kind.KIND_TASK, id).map(StoredObject::getTask);
    }

    /** Writes an object as a user would (create when absent, else update on the current version). */
    synchronized long put(Kind kind, String id, StoredObject object) {
        StoredObject cur = objects.getOrDefault(kind, Map.of()).get(id);
        Change c = Change.newBuilder().setOp(cur == null ? Op.OP_CREATE : Op.OP_UPDATE).setKind(kind).setId(id)
                .setExpectedVersion(cur == null ? 0 : meta(cur).getVersion()).setObject(object).build();
        ApplyResponse r = apply(ApplyRequest.newBuilder().addChanges(c).build()).toCompletableFuture().join();
        if (r.getOutcomes(0).getResult() != ChangeResult.RESULT_OK) {
            throw new IllegalStateException("put " + id + ": " + r.getOutcomes(0));
        }
        return r.getOutcomes(0).getCurrentVersion();
    }

    private Map<Kind, Map<String, StoredObject>> copy() {
        Map<Kind, Map<String, StoredObject>> c = new HashMap<>();
        objects.forEach((k, m) -> c.put(k, new TreeMap<>(m)));
        return c;
    }

    private static Meta meta(StoredObject o) {
        return switch (o.getObjectCase()) {
            case NODE -> o.getNode().getMeta();
            case TASK -> o.getTask().getMeta();
            case SERVICE -> o.getService().getMeta();
            case NETWORK -> o.getNetwork().getMeta();
            case CLUSTER -> o.getCluster().getMeta();
            default -> Meta.getDefaultInstance();
        };
    }

    private static StoredObject withMeta(StoredObject o, Meta m) {
        return switch (o.getObjectCase()) {
            case NODE -> StoredObject.newBuilder().setNode(o.getNode().toBuilder().setMeta(m)).build();
            case TASK -> StoredObject.newBuilder().setTask(o.getTask().toBuilder().setMeta(m)).build();
            case SERVICE -> StoredObject.newBuilder().setService(o.getService().toBuilder().setMeta(m)).build();
            case NETWORK -> StoredObject.newBuilder().setNetwork(o.getNetwork().toBuilder().setMeta(m)).build();
            case CLUSTER -> StoredObject.newBuilder().setCluster(o.getCluster().toBuilder().setMeta(m)).build();
            default -> o;
        };
    }
}
