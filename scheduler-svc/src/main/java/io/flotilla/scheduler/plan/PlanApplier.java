package io.flotilla.scheduler.plan;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;

/**
 * The one authority that applies a plan: the store. A plan is sent with partial=true, so the store may
 * reject part of it (a stale expected version); the response has one outcome per change, in order.
 * Implementations may block; they throw on transport failure (the loop retries with backoff).
 */
@FunctionalInterface
public interface PlanApplier {
    ApplyResponse apply(ApplyRequest request);
}
