package io.flotilla.scheduler.grpc;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.scheduler.plan.PlanApplier;

import java.util.concurrent.TimeUnit;

/** Sends a plan to cluster-state's Store.Apply (any manager; followers forward to the leader). */
public final class StorePlanApplier implements PlanApplier {
    private final StoreGrpc.StoreBlockingStub store;

    public StorePlanApplier(StoreGrpc.StoreBlockingStub store) {
        this.store = store;
    }

    @Override
    public ApplyResponse apply(ApplyRequest request) {
        return store.withDeadlineAfter(10, TimeUnit.SECONDS).apply(request);
    }
}
