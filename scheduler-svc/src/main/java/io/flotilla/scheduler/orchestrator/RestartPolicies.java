package io.flotilla.scheduler.orchestrator;

import io.flotilla.contracts.v1.RestartPolicy;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;

/**
 * When a slot whose task ended gets a new one. restart_attempt counts consecutive restarts of a slot;
 * it starts again at 1 when the ended task had run for the window (the policy's, else 10 s; without a
 * window but with max_attempts, never). Delay: the explicit one when set, else 0 for the first restart
 * and then 100 ms doubling per attempt, capped at 5 s.
 */
public final class RestartPolicies {
    public static final long DEFAULT_WINDOW_MS = 10_000;
    public static final long BACKOFF_BASE_MS = 100;
    public static final long BACKOFF_CAP_MS = 5_000;

    private RestartPolicies() {
    }

    /** The restart decision: whether to restart, the replacement's attempt number and when. */
    public record Decision(boolean restart, long attempt, long dueAtMs) {
    }

    public static Decision decide(RestartPolicy policy, Task ended, long nowMs) {
        TaskState s = ended.getStatus().getState();
        boolean conditionHolds = switch (policy.getCondition()) {
            case RESTART_NONE -> false;
            case RESTART_ON_FAILURE -> s == TaskState.TASK_FAILED || s == TaskState.TASK_REJECTED;
            default -> true;
        };
        if (!conditionHolds) {
            return new Decision(false, 0, 0);
        }
        long endedAt = endedAt(ended, nowMs);
        long ranMs = endedAt - ended.getMeta().getCreatedAtMs();
        long windowMs = policy.getWindowNs() > 0 ? policy.getWindowNs() / 1_000_000
                : policy.getMaxAttempts() > 0 ? Long.MAX_VALUE : DEFAULT_WINDOW_MS;
        long attempt = ranMs >= windowMs ? 1 : ended.getRestartAttempt() + 1;
        if (policy.getMaxAttempts() > 0 && attempt > policy.getMaxAttempts()) {
            return new Decision(false, attempt, 0);
        }
        return new Decision(true, attempt, endedAt + delayMs(policy, attempt));
    }

    public static long delayMs(RestartPolicy policy, long attempt) {
        if (policy.getDelaySet()) {
            return Math.max(0, policy.getDelayNs() / 1_000_000);
        }
        if (attempt <= 1) {
            return 0;
        }
        long shift = Math.min(attempt - 2, 20);
        return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS << shift);
    }

    /** When the task ended: its status time, never in the future (clocks of other hosts may be ahead). */
    static long endedAt(Task t, long nowMs) {
        long ts = t.getStatus().getTimestampMs();
        if (ts <= 0) {
            ts = t.getMeta().getUpdatedAtMs();
        }
        return ts <= 0 ? nowMs : Math.min(ts, nowMs);
    }
}
