package io.flotilla.state.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Turns a caller's batch into a command for the state machine, before proposal: refuses malformed
 * changes (nothing is proposed then), assigns ids to creates and sets timestamps. Everything that
 * needs the clock or randomness happens here, never in {@link StoreStateMachine#apply}.
 */
public final class CommandPreparer {
    /** Most changes one batch may carry (a proposal is one Raft log entry). */
    public static final int MAX_CHANGES = 10_000;

    private final LongSupplier clock;
    private final Supplier<String> ids;

    public CommandPreparer(LongSupplier clock, Supplier<String> ids) {
        this.clock = clock;
        this.ids = ids;
    }

    public CommandPreparer() {
        this(System::currentTimeMillis, Ids::newId);
    }

    /** @throws StoreException INVALID_ARGUMENT naming the first bad change */
    public ApplyRequest prepare(ApplyRequest request) {
        return prepare(request, clock.getAsLong(), ids);
    }

    /** A prepared command, and the time and the new ids it took: with them {@link #again} makes the same command. */
    public record Prepared(ApplyRequest command, long now, List<String> ids) {
    }

    /** As {@link #prepare}, recording what it took from the clock and the id source. */
    public Prepared prepareRecorded(ApplyRequest request) {
        long now = clock.getAsLong();
        List<String> taken = new ArrayList<>();
        ApplyRequest command = prepare(request, now, () -> {
            String id = ids.get();
            taken.add(id);
            return id;
        });
        return new Prepared(command, now, List.copyOf(taken));
    }

    /**
     * The command {@link #prepareRecorded} made of this request, made again from the recorded time and ids
     * (on every manager that applies it: deterministic).
     *
     * @throws StoreException INVALID_ARGUMENT when the request is not one that was prepared (or ids are missing)
     */
    public static ApplyRequest again(ApplyRequest request, long now, List<String> ids) {
        Iterator<String> recorded = ids.iterator();
        return new CommandPreparer(() -> now, () -> {
            if (!recorded.hasNext()) {
                throw invalid("fewer recorded ids than creates without one");
            }
            return recorded.next();
        }).prepare(request);
    }

    private ApplyRequest prepare(ApplyRequest request, long now, Supplier<String> newIds) {
        if (request.getChangesCount() == 0) {
            throw invalid("a batch needs at least one change");
        }
        if (request.getChangesCount() > MAX_CHANGES) {
            throw invalid("a batch holds at most " + MAX_CHANGES + " changes, got " + request.getChangesCount());
        }
        ApplyRequest.Builder out = ApplyRequest.newBuilder().setPartial(request.getPartial());
        for (int i = 0; i < request.getChangesCount(); i++) {
            out.addChanges(prepare(i, request.getChanges(i), now, newIds));
        }
        return out.build();
    }

    private Change prepare(int i, Change c, long now, Supplier<String> newIds) {
        if (c.getKind() == Kind.KIND_UNSPECIFIED || c.getKind() == Kind.UNRECOGNIZED) {
            throw invalid(where(i) + "unknown object kind " + c.getKindValue());
        }
        Op op = c.getOp();
        if (op == Op.OP_UNSPECIFIED || op == Op.UNRECOGNIZED) {
            throw invalid(where(i) + "unknown operation " + c.getOpValue());
        }
        if (op == Op.OP_DELETE) {
            if (c.getId().isEmpty()) {
                throw invalid(where(i) + "a delete needs the object's id");
            }
            if (c.getExpectedVersion() == 0) {
                throw invalid(where(i) + "a delete needs the version read (expected_version)");
            }
            return c.toBuilder().clearObject().build();
        }
        if (!c.hasObject() || c.getObject().getObjectCase() == StoredObject.ObjectCase.OBJECT_NOT_SET) {
            throw invalid(where(i) + "missing object for " + op);
        }
        Kind actual = StoredObjects.kindOf(c.getObject());
        if (actual != c.getKind()) {
            throw invalid(where(i) + "kind " + c.getKind() + " but the object is a " + actual);
        }
        Meta meta = StoredObjects.meta(c.getObject());
        String id = !c.getId().isEmpty() ? c.getId() : meta.getId();
        if (!meta.getId().isEmpty() && !c.getId().isEmpty() && !meta.getId().equals(c.getId())) {
            throw invalid(where(i) + "id " + c.getId() + " differs from the object's meta.id " + meta.getId());
        }
        if (StoredObjects.uniqueNames(c.getKind()) && StoredObjects.name(c.getObject()).isEmpty()) {
            throw invalid(where(i) + "a " + kindName(c.getKind()) + " needs a name");
        }
        Meta.Builder m = meta.toBuilder().setUpdatedAtMs(now).setVersion(0);
        if (op == Op.OP_CREATE) {
            if (c.getExpectedVersion() != 0) {
                throw invalid(where(i) + "a create expects version 0, got " + c.getExpectedVersion());
            }
            if (id.isEmpty()) {
                id = newIds.get();
            } else if (!Ids.isValid(id)) {
                throw invalid(where(i) + "malformed id '" + id + "' (lower-case letters, digits, '-', '_', '.'; at most 64)");
            }
            m.setCreatedAtMs(now);
        } else {
            if (id.isEmpty()) {
                throw invalid(where(i) + "an update needs the object's id");
            }
            if (c.getExpectedVersion() == 0) {
                throw invalid(where(i) + "an update needs the version read (expected_version)");
            }
        }
        m.setId(id);
        return c.toBuilder().setId(id).setObject(StoredObjects.withMeta(c.getObject(), m.build())).build();
    }

    /** The prefix of a refusal's message (made only for a refusal, not for every change). */
    private static String where(int i) {
        return "change " + i + ": ";
    }

    static String kindName(Kind k) {
        return k.name().substring("KIND_".length()).toLowerCase();
    }

    private static StoreException invalid(String message) {
        return new StoreException(StoreException.Reason.INVALID_ARGUMENT, message);
    }
}
