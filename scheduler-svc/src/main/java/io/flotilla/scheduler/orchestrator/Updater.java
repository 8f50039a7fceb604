package io.flotilla.scheduler.orchestrator;

import io.flotilla.contracts.v1.FailureAction;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.UpdateConfig;
import io.flotilla.contracts.v1.UpdateStatus;
import io.flotilla.scheduler.plan.Plan;
import io.flotilla.scheduler.state.ClusterView;
import io.flotilla.scheduler.state.TaskStates;

import java.util.ArrayList;
import java.util.List;

/**
 * Rolling updates, level-based like the rest of the orchestrator: from the slots' tasks and the
 * service's UpdateStatus alone it decides the next step.
 *
 * <ul>
 * <li>A slot's live task made from an older spec_version whose task spec still equals the service's
 * (a scale, a change of replicas or of ports only, or a constraint change its node still meets) is
 * only re-stamped with the current spec_version: it stays, and counts as up to date.</li>
 * <li>The other old tasks are dirty. They are replaced {@code parallelism} at a time (0: all at once):
 * the old task is shut down and its successor in the same slot created in the same pass. The next
 * batch waits until every task of the current version is running and {@code delay} has passed since
 * the last of them started.</li>
 * <li>UpdateStatus: {@code updating} (or {@code rollback_started}) when dirty tasks are first seen;
 * {@code completed} (or {@code rollback_completed}) once no dirty task is left and the new tasks have
 * run for the monitor period (5 s by default), as Swarm's updater does.</li>
 * <li>A task of the new version that fails or exits during the update counts as a failure; past
 * {@code max_failure_ratio} of the slots the failure action applies: pause (state {@code paused},
 * nothing more is replaced until the next update), continue, or rollback (the previous spec comes
 * back as a new spec_version, state {@code rollback_started}, rolled out per the rollback config).</li>
 * </ul>
 */
final class Updater {
    static final long DEFAULT_MONITOR_MS = 5_000;
    static final String UPDATING = "updating";
    static final String PAUSED = "paused";
    static final String COMPLETED = "completed";
    static final String ROLLBACK_STARTED = "rollback_started";
    static final String ROLLBACK_PAUSED = "rollback_paused";
    static final String ROLLBACK_COMPLETED = "rollback_completed";

    /** One slot (replicated) or node (global): its key, the task kept running in it, all its tasks. */
    record Slot(String key, long slot, String nodeId, Task live, List<Task> tasks) {
    }

    void update(ClusterView view, Service service, List<Slot> slots, Plan plan, long nowMs) {
        long version = service.getSpecVersion();
        UpdateStatus status = service.getUpdateStatus();
        String state = status.getState();
        boolean rollingBack = state.equals(ROLLBACK_STARTED) || state.equals(ROLLBACK_PAUSED);
        UpdateConfig cfg = rollingBack ? service.getSpec().getRollback() : service.getSpec().getUpdate();
        boolean configured = rollingBack ? service.getSpec().hasRollback() : service.getSpec().hasUpdate();
        long parallelism = configured ? cfg.getParallelism() : 1;
        long delayMs = cfg.getDelayNs() / 1_000_000;
        long monitorMs = cfg.getMonitorNs() > 0 ? cfg.getMonitorNs() / 1_000_000 : DEFAULT_MONITOR_MS;

        List<Slot> dirty = new ArrayList<>();
        for (Slot s : slots) {
            Task t = s.live();
            if (t == null || t.getSpecVersion() == version) {
                continue;
            }
            Node node = t.getNodeId().isEmpty() ? null : view.node(t.getNodeId());
            if (isDirty(service, t, node)) {
                dirty.add(s);
            } else {
                plan.updateTask(t, t.toBuilder().setSpecVersion(version).build());
            }
        }
        boolean inProgress = state.equals(UPDATING) || state.equals(ROLLBACK_STARTED);
        if (dirty.isEmpty() && !inProgress) {
            return;                       // nothing to roll (create, scale), or already ended
        }
        if (state.equals(PAUSED) || state.equals(ROLLBACK_PAUSED)) {
            return;                       // a paused update waits for the next one
        }
        long startedAt = inProgress && status.getStartedAtMs() > 0 ? status.getStartedAtMs() : nowMs;
        if (!inProgress) {
            setStatus(service, plan, UPDATING, startedAt, 0, "update in progress");
            // the tasks go in the same pass; the status write only bumps the service's version
        }

        // progress of the tasks of the current version (made since the update started)
        int pending = 0;
        long lastStartedAt = 0;
        Task failed = null;
        int failures = 0;
        for (Slot s : slots) {
            for (Task t : s.tasks()) {
                if (t.getSpecVersion() != version || t.getMeta().getCreatedAtMs() < startedAt) {
                    continue;
                }
                TaskState st = t.getStatus().getState();
                if (TaskStates.wanted(t) && !TaskStates.ended(t)) {
                    if (st != TaskState.TASK_RUNNING) {
                        pending++;
                    } else {
                        lastStartedAt = Math.max(lastStartedAt, t.getStatus().getTimestampMs());
                    }
                } else if (TaskStates.endedByItself(t)) {
                    failures++;
                    failed = t;
                }
            }
        }
        if (failures > 0 && failures > cfg.getMaxFailureRatio() * Math.max(1, slots.size())) {
            FailureAction action = cfg.getFailureAction();
            String task = failed.getMeta().getId();
            if (action == FailureAction.FAILURE_PAUSE || (action == FailureAction.FAILURE_ROLLBACK && rollingBack)) {
                setStatus(service, plan, rollingBack ? ROLLBACK_PAUSED : PAUSED, startedAt, 0,
                        (rollingBack ? "rollback" : "update") + " paused due to failure or early termination of task " + task);
                return;
            }
            if (action == FailureAction.FAILURE_ROLLBACK && service.hasPreviousSpec()) {
                plan.updateService(service, service.toBuilder()
                        .setSpec(service.getPreviousSpec())
                        .setPreviousSpec(service.getSpec())
                        .setSpecVersion(version + 1)
                        .setMeta(service.getMeta().toBuilder().setUpdatedAtMs(nowMs))
                        .setUpdateStatus(UpdateStatus.newBuilder().setState(ROLLBACK_STARTED).setStartedAtMs(nowMs)
                                .setMessage("update rolled back due to failure or early termination of task " + task))
                        .build());
                return;
            }
        }
        if (dirty.isEmpty()) {
            if (pending > 0) {
                return;                   // their state changes wake us
            }
            long doneAt = lastStartedAt + monitorMs;
            if (doneAt > nowMs) {
                plan.wakeAt(doneAt);
                return;
            }
            setStatus(service, plan, rollingBack ? ROLLBACK_COMPLETED : COMPLETED, startedAt, nowMs,
                    rollingBack ? "rollback completed" : "update completed");
            return;
        }
        if (pending > 0) {
            return;                       // the batch in flight must run first
        }
        if (lastStartedAt > 0 && delayMs > 0 && lastStartedAt + delayMs > nowMs) {
            plan.wakeAt(lastStartedAt + delayMs);
            return;
        }
        int batch = parallelism == 0 ? dirty.size() : (int) Math.min(parallelism, dirty.size());
        for (int i = 0; i < batch; i++) {
            Slot s = dirty.get(i);
            Task old = s.live();
            Orchestrator.shutdown(old, plan, nowMs);
            Task newest = s.tasks().get(s.tasks().size() - 1);
            long createdAt = Math.max(nowMs, newest.getMeta().getCreatedAtMs() + 1);
            plan.createTask(Orchestrator.newTask(service, s.slot(), s.nodeId(), 0,
                    TaskIds.next(service.getMeta().getId(), s.key(), newest.getMeta().getId()), createdAt));
        }
    }

    private static void setStatus(Service service, Plan plan, String state, long startedAt, long completedAt,
                                  String message) {
        plan.updateService(service, service.toBuilder()
                .setUpdateStatus(UpdateStatus.newBuilder().setState(state).setStartedAtMs(startedAt)
                        .setCompletedAtMs(completedAt).setMessage(message))
                .build());
    }

    /**
     * Must the task be replaced to match the service? Its task spec differs, unless only the placement
     * constraints changed and its node still meets them.
     */
    static boolean isDirty(Service service, Task t, Node node) {
        TaskSpec want = service.getSpec().getTask();
        TaskSpec have = t.getSpec();
        // a port published or unpublished (--publish-add/rm) or another endpoint mode: the task's network
        // attachments change (ingress), so it is replaced, as Swarm does
        if (!t.getEndpoint().getSpec().equals(service.getSpec().getEndpoint())) {
            return true;
        }
        if (want.equals(have)) {
            return false;
        }
        boolean onlyPlacement = want.toBuilder().clearPlacement().build().equals(have.toBuilder().clearPlacement().build());
        return !(onlyPlacement && node != null && Orchestrator.constraintsHold(node, service));
    }
}
