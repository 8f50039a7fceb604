package io.flotilla.gateway.store;

/** The store could not answer (no manager reachable, no leader, deadline passed). */
public class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
