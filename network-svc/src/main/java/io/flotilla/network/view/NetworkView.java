package io.flotilla.network.view;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * network-svc's picture of the cluster, rebuilt from the state events: the networks, and the services
 * and tasks whose network resources it will allocate. Events are applied at most once, in index order
 * (an event at or below the last applied index is a redelivery and is dropped).
 */
public final class NetworkView {

    private final Map<String, StoredObject> networks = new ConcurrentHashMap<>();
    private final Map<String, StoredObject> services = new ConcurrentHashMap<>();
    private final Map<String, StoredObject> tasks = new ConcurrentHashMap<>();
    private long lastIndex;
    private long lastPosition = -1;

    /** Applies one event; returns false when it was already applied (at-least-once delivery). */
    public synchronized boolean apply(StateEvent event, long positionInBatch) {
        if (event.getIndex() < lastIndex || (event.getIndex() == lastIndex && positionInBatch <= lastPosition)) {
            return false;
        }
        lastIndex = event.getIndex();
        lastPosition = positionInBatch;
        Map<String, StoredObject> table = table(event.getKind());
        if (table == null) {
            return true;
        }
        if (event.getOp() == Op.OP_DELETE) {
            table.remove(event.getId());
        } else {
            table.put(event.getId(), event.getObject());
        }
        return true;
    }

    private Map<String, StoredObject> table(Kind kind) {
        return switch (kind) {
            case KIND_NETWORK -> networks;
            case KIND_SERVICE -> services;
            case KIND_TASK -> tasks;
            default -> null;
        };
    }

    public synchronized long lastIndex() {
        return lastIndex;
    }

    public int networks() {
        return networks.size();
    }

    public int services() {
        return services.size();
    }

    public int tasks() {
        return tasks.size();
    }
}
