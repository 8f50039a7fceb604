package io.flotilla.scheduler.plan;

import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An optimistic list of store changes (each with the version it expects), produced by a reconciler. */
public final class Plan {
    private final List<Change> changes = new ArrayList<>();
    private long wakeAtMs = Long.MAX_VALUE;

    public void createTask(Task t) {
        changes.add(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_TASK).setId(t.getMeta().getId())
                .setExpectedVersion(0).setObject(StoredObject.newBuilder().setTask(t)).build());
    }

    /** Updates a task read at version {@code read.getMeta().getVersion()} to {@code updated}. */
    public void updateTask(Task read, Task updated) {
        changes.add(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_TASK).setId(read.getMeta().getId())
                .setExpectedVersion(read.getMeta().getVersion())
                .setObject(StoredObject.newBuilder().setTask(updated)).build());
    }

    /** Updates a service read at version {@code read.getMeta().getVersion()} (its update status, a rollback). */
    public void updateService(io.flotilla.contracts.v1.Service read, io.flotilla.contracts.v1.Service updated) {
        changes.add(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_SERVICE).setId(read.getMeta().getId())
                .setExpectedVersion(read.getMeta().getVersion())
                .setObject(StoredObject.newBuilder().setService(updated)).build());
    }

    public void deleteTask(Task read) {
        changes.add(Change.newBuilder().setOp(Op.OP_DELETE).setKind(Kind.KIND_TASK).setId(read.getMeta().getId())
                .setExpectedVersion(read.getMeta().getVersion()).build());
    }

    /** Asks to be reconciled again at this time (a delayed restart), keeping the earliest. */
    public void wakeAt(long ms) {
        wakeAtMs = Math.min(wakeAtMs, ms);
    }

    public long wakeAtMs() {
        return wakeAtMs;
    }

    public List<Change> changes() {
        return Collections.unmodifiableList(changes);
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public void addAll(Plan other) {
        changes.addAll(other.changes);
        wakeAt(other.wakeAtMs);
    }
}
