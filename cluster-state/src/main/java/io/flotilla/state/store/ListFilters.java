package io.flotilla.state.store;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.TaskState;

import java.util.Map;
import java.util.function.Predicate;

/** ListRequest.filters as a predicate: "name" for every kind; "service_id", "node_id", "desired_state" for tasks. */
public final class ListFilters {
    private ListFilters() {
    }

    /** @throws StoreException INVALID_ARGUMENT for an unknown key or a bad desired_state */
    public static Predicate<StoredObject> of(Kind kind, Map<String, String> filters) {
        Predicate<StoredObject> p = o -> true;
        for (Map.Entry<String, String> f : filters.entrySet()) {
            String v = f.getValue();
            switch (f.getKey()) {
                case "name":
                    p = p.and(o -> StoredObjects.name(o).equals(v));
                    break;
                case "service_id":
                    requireTask(kind, f.getKey());
                    p = p.and(o -> o.getTask().getServiceId().equals(v));
                    break;
                case "node_id":
                    requireTask(kind, f.getKey());
                    p = p.and(o -> o.getTask().getNodeId().equals(v));
                    break;
                case "desired_state": {
                    requireTask(kind, f.getKey());
                    TaskState s = taskState(v);
                    p = p.and(o -> o.getTask().getDesiredState() == s);
                    break;
                }
                default:
                    throw new StoreException(StoreException.Reason.INVALID_ARGUMENT,
                            "unknown filter '" + f.getKey() + "' (name, service_id, node_id, desired_state)");
            }
        }
        return p;
    }

    /** "running", "TASK_RUNNING" or the number 512. */
    static TaskState taskState(String v) {
        String u = v.trim().toUpperCase();
        try {
            TaskState s = TaskState.forNumber(Integer.parseInt(u));
            if (s != null) {
                return s;
            }
        } catch (NumberFormatException ignored) {
            // a name
        }
        for (TaskState s : TaskState.values()) {
            if (s != TaskState.UNRECOGNIZED && (s.name().equals(u) || s.name().equals("TASK_" + u))) {
                return s;
            }
        }
        throw new StoreException(StoreException.Reason.INVALID_ARGUMENT, "unknown task state '" + v + "'");
    }

    private static void requireTask(Kind kind, String key) {
        if (kind != Kind.KIND_TASK) {
            throw new StoreException(StoreException.Reason.INVALID_ARGUMENT, "filter '" + key + "' applies to tasks only");
        }
    }
}
