package io.flotilla.network.view;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * network-svc's picture of the cluster, from the initial list and then the state events: the cluster, nodes,
 * networks, services and tasks. Events come at least once and possibly out of order across sources, so each
 * object keeps the newest version seen (an older or repeated event is dropped) and a deleted id keeps a
 * tombstone (a late update of a deleted object does not bring it back). One thread writes it.
 */
public final class NetworkView {

    private final Map<String, Cluster> clusters = new HashMap<>();
    private final Map<String, Node> nodes = new HashMap<>();
    private final Map<String, Network> networks = new HashMap<>();
    private final Map<String, Service> services = new HashMap<>();
    private final Map<String, Task> tasks = new HashMap<>();
    private final Map<String, Long> versions = new HashMap<>();
    private final Map<String, Long> tombstones = new HashMap<>();
    private long index;

    /** Applies one event; returns false when it changed nothing (a repeat or an older version). */
    public boolean apply(StateEvent event) {
        index = Math.max(index, event.getIndex());
        if (event.getOp() == Op.OP_DELETE) {
            return delete(event.getKind(), event.getId(), Math.max(event.getIndex(), event.getVersion()));
        }
        long version = event.getVersion() > 0 ? event.getVersion() : event.getIndex();
        return upsert(event.getObject(), version);
    }

    /** Stores an object at a version unless a newer one (or its deletion) is known. */
    public boolean upsert(StoredObject o, long version) {
        String id = idOf(o);
        Kind kind = kindOf(o);
        if (kind == Kind.KIND_UNSPECIFIED || id.isEmpty()) {
            return false;
        }
        String key = kind + "/" + id;
        long v = version > 0 ? version : metaVersion(o);
        Long dead = tombstones.get(key);
        if (dead != null && v <= dead) {
            return false;
        }
        Long have = versions.get(key);
        if (have != null && v <= have) {
            return false;
        }
        versions.put(key, v);
        switch (kind) {
            case KIND_CLUSTER -> clusters.put(id, withVersion(o, v).getCluster());
            case KIND_NODE -> nodes.put(id, withVersion(o, v).getNode());
            case KIND_NETWORK -> networks.put(id, withVersion(o, v).getNetwork());
            case KIND_SERVICE -> services.put(id, withVersion(o, v).getService());
            case KIND_TASK -> tasks.put(id, withVersion(o, v).getTask());
            default -> {
            }
        }
        return true;
    }

    public boolean delete(Kind kind, String id, long atIndex) {
        String key = kind + "/" + id;
        tombstones.merge(key, atIndex, Math::max);
        versions.remove(key);
        Object removed = switch (kind) {
            case KIND_CLUSTER -> clusters.remove(id);
            case KIND_NODE -> nodes.remove(id);
            case KIND_NETWORK -> networks.remove(id);
            case KIND_SERVICE -> services.remove(id);
            case KIND_TASK -> tasks.remove(id);
            default -> null;
        };
        return removed != null;
    }

    public void setIndex(long index) {
        this.index = Math.max(this.index, index);
    }

    public long index() {
        return index;
    }

    public Collection<Cluster> clusters() {
        return clusters.values();
    }

    public Collection<Node> nodes() {
        return nodes.values();
    }

    public Collection<Network> networks() {
        return networks.values();
    }

    public Collection<Service> services() {
        return services.values();
    }

    public Collection<Task> tasks() {
        return tasks.values();
    }

    public Network network(String id) {
        return networks.get(id);
    }

    public Service service(String id) {
        return services.get(id);
    }

    public Task task(String id) {
        return tasks.get(id);
    }

    public Node node(String id) {
        return nodes.get(id);
    }

    /** Every object, for a snapshot copy (tests). */
    public List<StoredObject> all() {
        List<StoredObject> out = new ArrayList<>();
        clusters.values().forEach(c -> out.add(StoredObject.newBuilder().setCluster(c).build()));
        nodes.values().forEach(c -> out.add(StoredObject.newBuilder().setNode(c).build()));
        networks.values().forEach(c -> out.add(StoredObject.newBuilder().setNetwork(c).build()));
        services.values().forEach(c -> out.add(StoredObject.newBuilder().setService(c).build()));
        tasks.values().forEach(c -> out.add(StoredObject.newBuilder().setTask(c).build()));
        return out;
    }

    static Kind kindOf(StoredObject o) {
        return switch (o.getObjectCase()) {
            case CLUSTER -> Kind.KIND_CLUSTER;
            case NODE -> Kind.KIND_NODE;
            case NETWORK -> Kind.KIND_NETWORK;
            case SERVICE -> Kind.KIND_SERVICE;
            case TASK -> Kind.KIND_TASK;
            default -> Kind.KIND_UNSPECIFIED;
        };
    }

    static String idOf(StoredObject o) {
        return switch (o.getObjectCase()) {
            case CLUSTER -> o.getCluster().getMeta().getId();
            case NODE -> o.getNode().getMeta().getId();
            case NETWORK -> o.getNetwork().getMeta().getId();
            case SERVICE -> o.getService().getMeta().getId();
            case TASK -> o.getTask().getMeta().getId();
            default -> "";
        };
    }

    private static long metaVersion(StoredObject o) {
        return switch (o.getObjectCase()) {
            case CLUSTER -> o.getCluster().getMeta().getVersion();
            case NODE -> o.getNode().getMeta().getVersion();
            case NETWORK -> o.getNetwork().getMeta().getVersion();
            case SERVICE -> o.getService().getMeta().getVersion();
            case TASK -> o.getTask().getMeta().getVersion();
            default -> 0;
        };
    }

    private static StoredObject withVersion(StoredObject o, long v) {
        return switch (o.getObjectCase()) {
            case CLUSTER -> StoredObject.newBuilder().setCluster(o.getCluster().toBuilder()
                    .setMeta(o.getCluster().getMeta().toBuilder().setVersion(v))).build();
            case NODE -> StoredObject.newBuilder().setNode(o.getNode().toBuilder()
                    .setMeta(o.getNode().getMeta().toBuilder().setVersion(v))).build();
            case NETWORK -> StoredObject.newBuilder().setNetwork(o.getNetwork().toBuilder()
                    .setMeta(o.getNetwork().getMeta().toBuilder().setVersion(v))).build();
            case SERVICE -> StoredObject.newBuilder().setService(o.getService().toBuilder()
                    .setMeta(o.getService().getMeta().toBuilder().setVersion(v))).build();
            case TASK -> StoredObject.newBuilder().setTask(o.getTask().toBuilder()
                    .setMeta(o.getTask().getMeta().toBuilder().setVersion(v))).build();
            default -> o;
        };
    }
}
