package io.flotilla.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.agent.swarm.SwarmState;

import java.util.List;

/** The Swarm block of GET /info (and the Swarm header of /_ping) from Flotilla's view of this node. */
final class SwarmInfo {

    /** What the managers told about the cluster, when this node is a manager and they answered. */
    record ClusterView(Integer nodes, Integer managers, JsonNode cluster) {
        static final ClusterView UNKNOWN = new ClusterView(null, null, null);
    }

    private SwarmInfo() {
    }

    /** The value of the Swarm header of /_ping. */
    static String pingHeader(SwarmState.Snapshot s) {
        if (!s.member()) {
            return "inactive";
        }
        return s.manager() ? "active/manager" : "active/worker";
    }

    static ObjectNode block(SwarmState.Snapshot s, String nodeAddr, ClusterView view) {
        ObjectNode sw = Responses.JSON.createObjectNode();
        if (!s.member()) {
            sw.put("NodeID", "");
            sw.put("NodeAddr", "");
            sw.put("LocalNodeState", "inactive");
            sw.put("ControlAvailable", false);
            sw.put("Error", "");
            sw.putNull("RemoteManagers");
            return sw;
        }
        sw.put("NodeID", s.nodeId());
        sw.put("NodeAddr", nodeAddr);
        sw.put("LocalNodeState", "active");
        sw.put("ControlAvailable", s.manager());
        sw.put("Error", "");
        ArrayNode rm = sw.putArray("RemoteManagers");
        for (String m : s.managers()) {
            ObjectNode e = rm.addObject();
            String host = m.contains(":") ? m.substring(0, m.lastIndexOf(':')) : m;
            e.put("NodeID", s.manager() && host.equals(nodeAddr) ? s.nodeId() : "");
            e.put("Addr", m);
        }
        if (view.nodes() != null) {
            sw.put("Nodes", view.nodes());
        }
        if (view.managers() != null) {
            // this node is a manager even when the managers' own view lags behind
            sw.put("Managers", s.manager() ? Math.max(1, view.managers()) : view.managers());
        } else if (s.manager()) {
            sw.put("Managers", Math.max(1, s.managers().size()));
        }
        if (s.manager()) {
            sw.set("Cluster", view.cluster() != null ? view.cluster() : defaultCluster());
        }
        return sw;
    }

    /** dockerd's /info with the Swarm block replaced and Name set to the Flotilla node name. */
    static ObjectNode merge(JsonNode dockerInfo, ObjectNode swarm, String name) {
        ObjectNode info = dockerInfo instanceof ObjectNode o ? o.deepCopy() : Responses.JSON.createObjectNode();
        info.set("Swarm", swarm);
        info.put("Name", name);
        return info;
    }

    /** Counts of GET /nodes (an array of Node objects). */
    static ClusterView fromManagers(JsonNode nodes, JsonNode swarm) {
        Integer n = null;
        Integer m = null;
        if (nodes != null && nodes.isArray()) {
            n = nodes.size();
            int managers = 0;
            for (JsonNode node : nodes) {
                if (node.path("Spec").path("Role").asText("").equals("manager") || node.has("ManagerStatus")
                        && !node.get("ManagerStatus").isNull()) {
                    managers++;
                }
            }
            m = managers;
        }
        JsonNode cluster = null;
        if (swarm != null && swarm.isObject()) {
            ObjectNode c = ((ObjectNode) swarm).deepCopy();
            c.remove("JoinTokens");
            cluster = c;
        }
        return new ClusterView(n, m, cluster);
    }

    /** Swarm's defaults, for when the managers have not told yet: the CLI reads these fields. */
    static ObjectNode defaultCluster() {
        ObjectNode c = Responses.JSON.createObjectNode();
        c.put("ID", "");
        c.putObject("Version").put("Index", 0);
        c.put("CreatedAt", "0001-01-01T00:00:00Z");
        c.put("UpdatedAt", "0001-01-01T00:00:00Z");
        ObjectNode spec = c.putObject("Spec");
        spec.put("Name", "default");
        spec.putObject("Labels");
        spec.putObject("Orchestration").put("TaskHistoryRetentionLimit", 5);
        spec.putObject("Raft").put("SnapshotInterval", 10000).put("KeepOldSnapshots", 0)
                .put("LogEntriesForSlowFollowers", 500).put("ElectionTick", 10).put("HeartbeatTick", 1);
        spec.putObject("Dispatcher").put("HeartbeatPeriod", 5_000_000_000L);
        spec.putObject("CAConfig").put("NodeCertExpiry", 7_776_000_000_000_000L);
        spec.putObject("TaskDefaults");
        spec.putObject("EncryptionConfig").put("AutoLockManagers", false);
        c.putObject("TLSInfo");
        c.put("RootRotationInProgress", false);
        c.put("DataPathPort", 4789);
        c.putArray("DefaultAddrPool").add("10.0.0.0/8");
        c.put("SubnetSize", 24);
        return c;
    }

    static List<String> managersOf(String addr) {
        return List.of(addr);
    }
}
