package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.ChangeOutcome;

/** Turns the store's change outcomes into results or {@link ApiException}s. */
final class Outcomes {
    private Outcomes() {
    }

    /** The first change's outcome when it was applied; otherwise the error it stands for. */
    static ChangeOutcome require(ApplyResponse response, String what) {
        if (response.getOutcomesCount() == 0) {
            throw new ApiException(500, "Internal", "the store gave no outcome for " + what);
        }
        for (ChangeOutcome o : response.getOutcomesList()) {
            switch (o.getResult()) {
                case RESULT_OK, RESULT_ABORTED -> {
                }
                case RESULT_CONFLICT -> throw ApiException.outOfSequence();
                case RESULT_NOT_FOUND -> throw ApiException.notFound(what + " not found");
                case RESULT_NAME_CONFLICT, RESULT_ALREADY_EXISTS -> throw ApiException.nameConflict();
                case RESULT_INVALID -> throw ApiException.invalidArgument(o.getMessage());
                default -> throw new ApiException(500, "Unknown", o.getMessage());
            }
        }
        ChangeOutcome first = response.getOutcomes(0);
        if (first.getResult() != io.flotilla.contracts.v1.ChangeResult.RESULT_OK) {
            throw new ApiException(500, "Aborted", "the store did not apply the change to " + what);
        }
        return first;
    }
}
