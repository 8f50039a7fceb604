package io.flotilla.state.store;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.StoredObject;

/** Kind, meta and name of a {@link StoredObject}, whatever its oneof case. */
public final class StoredObjects {
    private StoredObjects() {
    }

    /** The kind the object's oneof case stands for; KIND_UNSPECIFIED when none is set. */
    public static Kind kindOf(StoredObject o) {
        switch (o.getObjectCase()) {
            case CLUSTER: return Kind.KIND_CLUSTER;
            case NODE: return Kind.KIND_NODE;
            case SERVICE: return Kind.KIND_SERVICE;
            case TASK: return Kind.KIND_TASK;
            case NETWORK: return Kind.KIND_NETWORK;
            default: return Kind.KIND_UNSPECIFIED;
        }
    }

    public static Meta meta(StoredObject o) {
        switch (o.getObjectCase()) {
            case CLUSTER: return o.getCluster().getMeta();
            case NODE: return o.getNode().getMeta();
            case SERVICE: return o.getService().getMeta();
            case TASK: return o.getTask().getMeta();
            case NETWORK: return o.getNetwork().getMeta();
            default: return Meta.getDefaultInstance();
        }
    }

    public static StoredObject withMeta(StoredObject o, Meta m) {
        switch (o.getObjectCase()) {
            case CLUSTER: return StoredObject.newBuilder().setCluster(o.getCluster().toBuilder().setMeta(m)).build();
            case NODE: return StoredObject.newBuilder().setNode(o.getNode().toBuilder().setMeta(m)).build();
            case SERVICE: return StoredObject.newBuilder().setService(o.getService().toBuilder().setMeta(m)).build();
            case TASK: return StoredObject.newBuilder().setTask(o.getTask().toBuilder().setMeta(m)).build();
            case NETWORK: return StoredObject.newBuilder().setNetwork(o.getNetwork().toBuilder().setMeta(m)).build();
            default: return o;
        }
    }

    public static String id(StoredObject o) {
        return meta(o).getId();
    }

    public static long version(StoredObject o) {
        return meta(o).getVersion();
    }

    /** The name users know the object by ("" when it has none). */
    public static String name(StoredObject o) {
        switch (o.getObjectCase()) {
            case CLUSTER: return o.getCluster().getName();
            case NODE: return o.getNode().getSpec().getName().isEmpty()
                    ? o.getNode().getDescription().getHostname() : o.getNode().getSpec().getName();
            case SERVICE: return o.getService().getSpec().getName();
            case TASK: return o.getTask().getServiceName();
            case NETWORK: return o.getNetwork().getName();
            default: return "";
        }
    }

    /** Kinds whose names are unique within the kind (as in Swarm: services and networks). */
    public static boolean uniqueNames(Kind kind) {
        return kind == Kind.KIND_SERVICE || kind == Kind.KIND_NETWORK;
    }
}
