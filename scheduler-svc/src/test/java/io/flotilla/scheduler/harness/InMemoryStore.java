package io.flotilla.scheduler.harness;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.scheduler.plan.PlanApplier;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** A store with the real one's write rules (CAS per change, partial batches), publishing state events. */
public final class InMemoryStore implements PlanApplier {
    private final Map<String, StoredObject> objects = new HashMap<>();
    private final Map<String, Long> versions = new HashMap<>();
    private final List<Consumer<StateEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> assignments = new HashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private long index;

    public void subscribe(Consumer<StateEvent> l) {
        listeners.add(l);
    }

    public synchronized long index() {
        return index;
    }

    public synchronized List<StoredObject> list() {
        return new ArrayList<>(objects.values());
    }

    public synchronized List<Task> tasks() {
        List<Task> out = new ArrayList<>();
        for (StoredObject o : objects.values()) {
            if (o.hasTask()) {
                out.add(o.getTask());
            }
        }
        return out;
    }

    public synchronized Task task(String id) {
        StoredObject o = objects.get(id);
        return o == null ? null : o.getTask();
    }

    /** How many times each task went from no node to a node. */
    public synchronized Map<String, Integer> assignments() {
        return new HashMap<>(assignments);
    }

    @Override
    public ApplyResponse apply(ApplyRequest request) {
        List<StateEvent> events = new ArrayList<>();
        ApplyResponse response;
        synchronized (this) {
            long idx = ++index;
            ApplyResponse.Builder out = ApplyResponse.newBuilder().setIndex(idx);
            for (Change c : request.getChangesList()) {
                out.addOutcomes(applyOne(c, idx, events));
            }
            out.setApplied(!events.isEmpty());
            response = out.build();
        }
        for (StateEvent e : events) {
            for (Consumer<StateEvent> l : listeners) {
                l.accept(e);
            }
        }
        return response;
    }

    private ChangeOutcome applyOne(Change c, long idx, List<StateEvent> events) {
        String id = c.getId();
        Long current = id.isEmpty() ? null : versions.get(id);
        switch (c.getOp()) {
            case OP_CREATE: {
                if (id.isEmpty()) {
                    id = String.format("%025d", ids.incrementAndGet());
                } else if (current != null) {
                    return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_ALREADY_EXISTS)
                            .setCurrentVersion(current).setId(id).build();
                }
                StoredObject o = withMeta(c.getObject(), id, idx);
                objects.put(id, o);
                versions.put(id, idx);
                events.add(event(c.getKind(), id, idx, Op.OP_CREATE, o));
                return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_OK).setCurrentVersion(idx).setId(id).build();
            }
            case OP_UPDATE: {
                if (current == null) {
                    return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_NOT_FOUND).setId(id).build();
                }
                if (current != c.getExpectedVersion()) {
                    return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_CONFLICT)
                            .setCurrentVersion(current).setId(id).build();
                }
                StoredObject before = objects.get(id);
                StoredObject o = withMeta(c.getObject(), id, idx);
                if (before.hasTask() && before.getTask().getNodeId().isEmpty() && !o.getTask().getNodeId().isEmpty()) {
                    assignments.merge(id, 1, Integer::sum);
                }
                objects.put(id, o);
                versions.put(id, idx);
                events.add(event(c.getKind(), id, idx, Op.OP_UPDATE, o));
                return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_OK).setCurrentVersion(idx).setId(id).build();
            }
            case OP_DELETE: {
                if (current == null) {
                    return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_NOT_FOUND).setId(id).build();
                }
                if (current != c.getExpectedVersion()) {
                    return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_CONFLICT)
                            .setCurrentVersion(current).setId(id).build();
                }
                StoredObject last = objects.remove(id);
                versions.remove(id);
                events.add(event(c.getKind(), id, idx, Op.OP_DELETE, last));
                return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_OK).setCurrentVersion(idx).setId(id).build();
            }
            default:
                return ChangeOutcome.newBuilder().setResult(ChangeResult.RESULT_INVALID).build();
        }
    }

    private static StateEvent event(Kind kind, String id, long idx, Op op, StoredObject o) {
        return StateEvent.newBuilder().setKind(kind).setId(id).setVersion(idx).setIndex(idx).setOp(op).setObject(o).build();
    }

    private static StoredObject withMeta(StoredObject o, String id, long version) {
        switch (o.getObjectCase()) {
            case NODE:
                return StoredObject.newBuilder().setNode(o.getNode().toBuilder()
                        .setMeta(o.getNode().getMeta().toBuilder().setId(id).setVersion(version))).build();
            case SERVICE:
                return StoredObject.newBuilder().setService(o.getService().toBuilder()
                        .setMeta(o.getService().getMeta().toBuilder().setId(id).setVersion(version))).build();
            case TASK:
                return StoredObject.newBuilder().setTask(o.getTask().toBuilder()
                        .setMeta(o.getTask().getMeta().toBuilder().setId(id).setVersion(version))).build();
            default:
                return o;
        }
    }
}
