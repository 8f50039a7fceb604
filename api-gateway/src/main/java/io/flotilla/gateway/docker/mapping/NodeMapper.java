package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.Reachability;

import static io.flotilla.gateway.docker.mapping.JsonFields.F;
import static io.flotilla.gateway.docker.mapping.JsonFields.map;
import static io.flotilla.gateway.docker.mapping.JsonFields.stringMap;
import static io.flotilla.gateway.docker.mapping.JsonFields.text;

/** A {@link Node} as Docker's Node JSON, and Docker's NodeSpec JSON to {@link NodeSpec}. */
public final class NodeMapper {
    private NodeMapper() {
    }

    /**
     * @param tlsInfo the cluster's TLSInfo (the same trust root for every node), or null
     */
    public static ObjectNode toDocker(Node n, ObjectNode tlsInfo) {
        ObjectNode o = F.objectNode();
        o.put("ID", n.getMeta().getId());
        o.putObject("Version").put("Index", n.getMeta().getVersion());
        o.put("CreatedAt", DockerTime.format(n.getMeta().getCreatedAtMs()));
        o.put("UpdatedAt", DockerTime.format(n.getMeta().getUpdatedAtMs()));
        ObjectNode spec = o.putObject("Spec");
        if (!n.getSpec().getName().isEmpty()) {
            spec.put("Name", n.getSpec().getName());
        }
        spec.set("Labels", map(n.getSpec().getLabelsMap()));
        spec.put("Role", role(n.getSpec().getDesiredRole()));
        spec.put("Availability", availability(n.getSpec().getAvailability()));

        NodeDescription d = n.getDescription();
        ObjectNode desc = o.putObject("Description");
        desc.put("Hostname", d.getHostname());
        desc.putObject("Platform")
                .put("Architecture", d.getArchitecture())
                .put("OS", d.getOs());
        desc.putObject("Resources")
                .put("NanoCPUs", d.getResources().getNanoCpus())
                .put("MemoryBytes", d.getResources().getMemoryBytes());
        ObjectNode engine = desc.putObject("Engine");
        engine.put("EngineVersion", d.getEngineVersion());
        if (d.getEngineLabelsCount() > 0) {
            engine.set("Labels", map(d.getEngineLabelsMap()));
        }
        engine.putArray("Plugins");
        if (tlsInfo != null) {
            desc.set("TLSInfo", tlsInfo);
        }

        ObjectNode status = o.putObject("Status");
        status.put("State", state(n.getStatus().getState()));
        if (!n.getStatus().getMessage().isEmpty()) {
            status.put("Message", n.getStatus().getMessage());
        }
        status.put("Addr", n.getStatus().getAddr());

        if (n.hasManagerStatus() && (n.getRole() == NodeRole.ROLE_MANAGER || !n.getManagerStatus().getAddr().isEmpty())) {
            ObjectNode ms = o.putObject("ManagerStatus");
            if (n.getManagerStatus().getLeader()) {
                ms.put("Leader", true);
            }
            ms.put("Reachability", reachability(n.getManagerStatus().getReachability()));
            ms.put("Addr", n.getManagerStatus().getAddr());
        }
        return o;
    }

    public static String role(NodeRole r) {
        return r == NodeRole.ROLE_MANAGER ? "manager" : "worker";
    }

    public static String availability(NodeAvailability a) {
        return switch (a) {
            case AVAILABILITY_PAUSE -> "pause";
            case AVAILABILITY_DRAIN -> "drain";
            default -> "active";
        };
    }

    public static String state(NodeState s) {
        return switch (s) {
            case NODE_READY -> "ready";
            case NODE_DOWN -> "down";
            case NODE_DISCONNECTED -> "disconnected";
            default -> "unknown";
        };
    }

    public static String reachability(Reachability r) {
        return switch (r) {
            case REACHABILITY_REACHABLE -> "reachable";
            case REACHABILITY_UNREACHABLE -> "unreachable";
            default -> "unknown";
        };
    }

    public static NodeRole roleFromDocker(String word) {
        return switch (word) {
            case "worker" -> NodeRole.ROLE_WORKER;
            case "manager" -> NodeRole.ROLE_MANAGER;
            default -> throw new InvalidSpecException("invalid Role: \"" + word + "\"");
        };
    }

    public static NodeAvailability availabilityFromDocker(String word) {
        return switch (word) {
            case "active" -> NodeAvailability.AVAILABILITY_ACTIVE;
            case "pause" -> NodeAvailability.AVAILABILITY_PAUSE;
            case "drain" -> NodeAvailability.AVAILABILITY_DRAIN;
            default -> throw new InvalidSpecException("invalid Availability: \"" + word + "\"");
        };
    }

    /** Docker's NodeSpec JSON (as {@code docker node update} sends it) to a NodeSpec; absent fields keep {@code current}'s. */
    public static NodeSpec specFromDocker(JsonNode body, NodeSpec current) {
        if (body == null || !body.isObject()) {
            throw new InvalidSpecException("invalid JSON: the body must be a NodeSpec object");
        }
        NodeSpec.Builder b = NodeSpec.newBuilder()
                .setName(body.has("Name") ? text(body, "Name") : current.getName())
                .putAllLabels(stringMap(body, "Labels"))
                .setDesiredRole(body.has("Role") ? roleFromDocker(text(body, "Role")) : current.getDesiredRole())
                .setAvailability(body.has("Availability") ? availabilityFromDocker(text(body, "Availability"))
                        : current.getAvailability());
        return b.build();
    }
}
