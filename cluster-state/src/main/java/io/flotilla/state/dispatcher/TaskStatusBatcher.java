package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import io.flotilla.state.store.StateStore;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Applies the task status agents report. A report after a quiet spell goes to the store at once; reports
 * arriving within a few milliseconds after it go as one batch (partial: each task on its own), each a compare-and-set on the task's version; a
 * conflict is tried again on fresh state. A report is refused (and counted) unless the task exists
 * and is on the reporting node: a node can act only as itself.
 */
final class TaskStatusBatcher {

    private static final Logger LOG = Logger.getLogger(TaskStatusBatcher.class);

    /** One reported update, from the node whose session carried it. */
    private record Pending(String nodeId, TaskStatusUpdate update, int attempt) {}

    private final StateStore store;
    private final ScheduledExecutorService executor;
    private final LongSupplier clock;
    private final int maxRetries;
    private final AtomicLong refusedForeign = new AtomicLong();
    private final AtomicLong refusedUnknown = new AtomicLong();
    private final AtomicLong applied = new AtomicLong();
    private final Object lock = new Object();
    private List<Pending> queue = new ArrayList<>();
    private boolean scheduled;
    private final LeadingEdge flushes; // guarded by lock

    TaskStatusBatcher(StateStore store, ScheduledExecutorService executor, LongSupplier clockMs, long batchMs, int maxRetries) {
        this.store = store;
        this.executor = executor;
        this.clock = clockMs;
        this.flushes = new LeadingEdge(batchMs);
        this.maxRetries = maxRetries;
    }

    void submit(String nodeId, List<TaskStatusUpdate> updates) {
        synchronized (lock) {
            for (TaskStatusUpdate u : updates) {
                queue.add(new Pending(nodeId, u, 0));
            }
            scheduleLocked();
        }
    }

    /** A report after a quiet batch window is written at once (a failure is not held back); later ones gather. */
    private void scheduleLocked() {
        if (!scheduled && !queue.isEmpty()) {
            scheduled = true;
            executor.schedule(this::flush, flushes.delay(clock.getAsLong()), TimeUnit.MILLISECONDS);
        }
    }

    /** Reports refused because the task is on another node. */
    long refusedForeign() {
        return refusedForeign.get();
    }

    /** Reports refused because no such task exists. */
    long refusedUnknown() {
        return refusedUnknown.get();
    }

    /** Task status writes the store accepted. */
    long applied() {
        return applied.get();
    }

    void flush() {
        List<Pending> batch;
        synchronized (lock) {
            batch = queue;
            queue = new ArrayList<>();
            scheduled = false;
            flushes.flushed(clock.getAsLong());
        }
        if (batch.isEmpty()) {
            return;
        }
        // fold every task's updates, in arrival order, onto its stored state
        Map<String, List<Pending>> byTask = new LinkedHashMap<>();
        for (Pending p : batch) {
            byTask.computeIfAbsent(p.update.getTaskId(), k -> new ArrayList<>()).add(p);
        }
        List<Change> changes = new ArrayList<>();
        List<List<Pending>> sources = new ArrayList<>();
        for (Map.Entry<String, List<Pending>> e : byTask.entrySet()) {
            Optional<Task> stored = store.get(Kind.KIND_TASK, e.getKey()).filter(StoredObject::hasTask).map(StoredObject::getTask);
            Task before = stored.orElse(null);
            Task after = before;
            List<Pending> used = new ArrayList<>();
            for (Pending p : e.getValue()) {
                if (before == null) {
                    refusedUnknown.incrementAndGet();
                    LOG.warnf("node %s reported status for unknown task %s: ignored", p.nodeId, e.getKey());
                    continue;
                }
                if (!p.nodeId.equals(before.getNodeId())) {
                    refusedForeign.incrementAndGet();
                    LOG.warnf("node %s reported status for task %s of node %s: refused", p.nodeId, e.getKey(),
                            before.getNodeId().isEmpty() ? "(none)" : before.getNodeId());
                    continue;
                }
                TaskStatus reported = p.update.getStatus();
                if (reported.getTimestampMs() == 0) {
                    reported = reported.toBuilder().setTimestampMs(clock.getAsLong()).build();
                }
                if (TaskRules.accepts(after.getStatus(), reported)) {
                    after = after.toBuilder().setStatus(reported).build();
                    used.add(p);
                } else {
                    LOG.debugf("task %s: %s -> %s not a forward move, ignored", e.getKey(),
                            after.getStatus().getState(), reported.getState());
                }
            }
            if (after != before) {
                after = after.toBuilder().setMeta(after.getMeta().toBuilder().setUpdatedAtMs(clock.getAsLong())).build();
                changes.add(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_TASK).setId(e.getKey())
                        .setExpectedVersion(before.getMeta().getVersion())
                        .setObject(StoredObject.newBuilder().setTask(after)).build());
                sources.add(used);
            }
        }
        if (changes.isEmpty()) {
            return;
        }
        LOG.debugf("writing %d task status(es)", changes.size());
        store.apply(ApplyRequest.newBuilder().addAllChanges(changes).setPartial(true).build())
                .whenComplete((response, error) -> onApplied(changes, sources, response, error));
    }

    private void onApplied(List<Change> changes, List<List<Pending>> sources, ApplyResponse response, Throwable error) {
        if (LOG.isDebugEnabled()) {
            LOG.debugf("%d task status(es) written at index %d%s", changes.size(), error == null ? response.getIndex() : -1,
                    error == null ? "" : ": " + error);
        }
        List<Pending> again = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            ChangeOutcome o = error == null && i < response.getOutcomesCount() ? response.getOutcomes(i) : null;
            if (o != null && o.getResult() == ChangeResult.RESULT_OK) {
                applied.incrementAndGet();
                continue;
            }
            if (o != null && o.getResult() == ChangeResult.RESULT_NOT_FOUND) {
                continue; // deleted meanwhile
            }
            boolean retry = error != null || o == null || o.getResult() == ChangeResult.RESULT_CONFLICT;
            for (Pending p : sources.get(i)) {
                if (retry && p.attempt + 1 < maxRetries) {
                    again.add(new Pending(p.nodeId, p.update, p.attempt + 1));
                } else {
                    LOG.warnf("task %s: status %s not written: %s", p.update.getTaskId(), p.update.getStatus().getState(),
                            error != null ? error.toString() : o == null ? "no outcome" : o.getResult() + " " + o.getMessage());
                }
            }
        }
        if (!again.isEmpty()) {
            synchronized (lock) {
                again.addAll(queue);
                queue = again;
                scheduleLocked();
            }
        }
    }
}
