package io.flotilla.dns.view;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * dns-svc's name table, rebuilt from the state events: service names to service ids for now (VIPs and
 * task addresses come with network allocation). Events at or below the last applied position are
 * redeliveries and are dropped.
 */
public final class NameView {

    private final Map<String, String> serviceIdsByName = new ConcurrentHashMap<>();
    private final Map<String, String> serviceNamesById = new ConcurrentHashMap<>();
    private long lastIndex;
    private long lastPosition = -1;

    /** Applies one event; returns false when it was already applied. */
    public synchronized boolean apply(StateEvent event, long positionInBatch) {
        if (event.getIndex() < lastIndex || (event.getIndex() == lastIndex && positionInBatch <= lastPosition)) {
            return false;
        }
        lastIndex = event.getIndex();
        lastPosition = positionInBatch;
        if (event.getKind() != Kind.KIND_SERVICE) {
            return true;
        }
        String old = serviceNamesById.remove(event.getId());
        if (old != null) {
            serviceIdsByName.remove(old, event.getId());
        }
        if (event.getOp() != Op.OP_DELETE) {
            String name = event.getObject().getService().getSpec().getName();
            serviceNamesById.put(event.getId(), name);
            serviceIdsByName.put(name, event.getId());
        }
        return true;
    }

    public Optional<String> serviceId(String name) {
        return Optional.ofNullable(serviceIdsByName.get(name));
    }

    public int services() {
        return serviceIdsByName.size();
    }
}
