package io.flotilla.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.agent.net.NetNames;
import io.flotilla.agent.net.NetworkFacts;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.OverlayPlan;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The swarm networks as a host shows them (docker network ls / inspect on that host): on a worker the
 * overlays present there (from its network plan), and on any node the local half Swarm adds to an
 * inspect: the containers attached on this host ("Containers") and the overlay's VTEPs ("Peers": each
 * node's hostname and address).
 */
final class SwarmNetworks {

    private SwarmNetworks() {
    }

    /** An overlay of the plan in the Engine API's Network shape (without the host's half). */
    static ObjectNode render(OverlayPlan o) {
        ObjectNode n = Responses.JSON.createObjectNode();
        n.put("Name", o.getName());
        n.put("Id", o.getNetworkId());
        n.put("Created", "0001-01-01T00:00:00Z");
        n.put("Scope", "swarm");
        n.put("Driver", "overlay");
        n.put("EnableIPv6", false);
        ObjectNode ipam = n.putObject("IPAM");
        ipam.put("Driver", "default");
        ipam.putNull("Options");
        ObjectNode cfg = ipam.putArray("Config").addObject();
        cfg.put("Subnet", o.getSubnet());
        cfg.put("Gateway", NetNames.bare(o.getGateway()));
        n.put("Internal", o.getInternal());
        n.put("Attachable", false);
        n.put("Ingress", o.getIngress());
        n.putObject("ConfigFrom").put("Network", "");
        n.put("ConfigOnly", false);
        n.putObject("Containers");
        n.putObject("Options").put("com.docker.network.driver.overlay.vxlanid_list", Integer.toString(o.getVni()));
        n.putObject("Labels");
        return n;
    }

    /** The overlay the reference names (full id, id prefix or name), if present on this node. */
    static OverlayPlan find(NetworkPlan plan, String ref) {
        for (OverlayPlan o : plan.getOverlaysList()) {
            if (o.getNetworkId().equals(ref) || o.getName().equals(ref)) {
                return o;
            }
        }
        for (OverlayPlan o : plan.getOverlaysList()) {
            if (ref.length() >= 3 && o.getNetworkId().startsWith(ref)) {
                return o;
            }
        }
        return null;
    }

    /** Adds this host's containers on the network and the overlay's peers to an inspect answer. */
    static void addLocal(ObjectNode network, NetworkFacts facts, String node, String advertiseAddr) {
        String id = network.path("Id").asText();
        ObjectNode containers = network.putObject("Containers");
        for (NetworkFacts.Endpoint e : facts.endpoints().getOrDefault(id, List.of())) {
            ObjectNode c = containers.putObject(e.id());
            c.put("Name", e.name());
            c.put("EndpointID", e.id());
            c.put("MacAddress", e.mac());
            c.put("IPv4Address", e.address());
            c.put("IPv6Address", "");
        }
        OverlayPlan o = find(facts.plan(), id);
        if (o != null) {
            ArrayNode peers = network.putArray("Peers");
            Set<String> ips = new LinkedHashSet<>();
            ips.add(advertiseAddr);
            ips.addAll(o.getPeerVtepsList());
            for (String ip : ips) {
                ObjectNode p = peers.addObject();
                p.put("Name", ip.equals(advertiseAddr) ? node : o.getPeerNamesOrDefault(ip, ip));
                p.put("IP", ip);
            }
        }
    }

    /** dockerd's networks with the swarm networks added (those dockerd does not list itself). */
    static ArrayNode merge(JsonNode local, List<JsonNode> swarm) {
        ArrayNode out = Responses.JSON.createArrayNode();
        Set<String> ids = new LinkedHashSet<>();
        if (local.isArray()) {
            for (JsonNode n : local) {
                ids.add(n.path("Id").asText());
                out.add(n);
            }
        }
        for (JsonNode n : swarm) {
            if (ids.add(n.path("Id").asText())) {
                out.add(n);
            }
        }
        return out;
    }

}
