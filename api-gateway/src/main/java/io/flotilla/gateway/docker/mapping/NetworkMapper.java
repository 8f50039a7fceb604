package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.IPAMConfig;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Network;

import static io.flotilla.gateway.docker.mapping.JsonFields.F;

/** Docker's network JSON: the create request in, the swarm-scoped Network resource out. */
public final class NetworkMapper {
    public static final String VXLANID_OPTION = "com.docker.network.driver.overlay.vxlanid_list";

    private NetworkMapper() {
    }

    /** A NetworkCreateRequest as a Network (no id, VNI or allocated subnet yet: network-svc adds them). */
    public static Network fromDocker(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidSpecException("invalid JSON: the request body must be a JSON object");
        }
        String name = JsonFields.text(body, "Name");
        if (name.isEmpty()) {
            throw new InvalidSpecException("network name is required");
        }
        String driver = JsonFields.text(body, "Driver");
        if (driver.isEmpty()) {
            driver = "overlay";
        }
        if (!driver.equals("overlay")) {
            throw new InvalidSpecException("network driver " + driver + " is not supported in swarm scope (overlay only)");
        }
        if (JsonFields.bool(body, "EnableIPv6")) {
            throw new InvalidSpecException("IPv6 networks are not supported");
        }
        Network.Builder n = Network.newBuilder().setName(name).setDriver(driver)
                .setAttachable(JsonFields.bool(body, "Attachable"))
                .setInternal(JsonFields.bool(body, "Internal"))
                .setIngress(JsonFields.bool(body, "Ingress"))
                .putAllLabels(JsonFields.stringMap(body, "Labels"))
                .putAllOptions(JsonFields.stringMap(body, "Options"));
        JsonNode ipam = JsonFields.object(body, "IPAM");
        if (ipam != null) {
            for (JsonNode c : JsonFields.objects(ipam, "Config")) {
                String subnet = JsonFields.text(c, "Subnet");
                String gateway = JsonFields.text(c, "Gateway");
                if (subnet.isEmpty() && !gateway.isEmpty()) {
                    throw new InvalidSpecException("gateway " + gateway + " given without a subnet");
                }
                n.addIpam(IPAMConfig.newBuilder().setSubnet(subnet).setGateway(gateway)
                        .setIpRange(JsonFields.text(c, "IPRange")));
            }
        }
        if (n.getIpamCount() > 1) {
            throw new InvalidSpecException("only one IPAM config (one subnet) per network is supported");
        }
        return n.build();
    }

    /**
     * The manager's view of a network, as {@code docker network inspect} prints it for a swarm network that
     * has no local endpoints: Containers null (the node's agent fills in its local ones, and Peers).
     */
    public static ObjectNode toDocker(Network n) {
        Meta m = n.getMeta();
        ObjectNode o = F.objectNode();
        o.put("Name", n.getName());
        o.put("Id", m.getId());
        o.put("Created", DockerTime.format(m.getCreatedAtMs()));
        o.put("Scope", "swarm");
        o.put("Driver", n.getDriver().isEmpty() ? "overlay" : n.getDriver());
        o.put("EnableIPv6", false);
        ObjectNode ipam = o.putObject("IPAM");
        ipam.put("Driver", "default");
        ipam.putNull("Options");
        ArrayNode config = ipam.putArray("Config");
        for (IPAMConfig c : n.getIpamList()) {
            if (c.getSubnet().isEmpty()) {
                continue; // not allocated yet
            }
            ObjectNode e = config.addObject();
            e.put("Subnet", c.getSubnet());
            if (!c.getIpRange().isEmpty()) {
                e.put("IPRange", c.getIpRange());
            }
            if (!c.getGateway().isEmpty()) {
                e.put("Gateway", c.getGateway());
            }
        }
        o.put("Internal", n.getInternal());
        o.put("Attachable", n.getAttachable());
        o.put("Ingress", n.getIngress());
        o.putObject("ConfigFrom").put("Network", "");
        o.put("ConfigOnly", false);
        o.putNull("Containers");
        ObjectNode options = JsonFields.map(n.getOptionsMap());
        if (n.getVni() > 0) {
            options.put(VXLANID_OPTION, Integer.toString(n.getVni()));
        }
        o.set("Options", options);
        if (n.getLabelsCount() == 0) {
            o.putNull("Labels");
        } else {
            o.set("Labels", JsonFields.map(n.getLabelsMap()));
        }
        return o;
    }
}
