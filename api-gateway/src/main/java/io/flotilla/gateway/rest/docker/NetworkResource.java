package io.flotilla.gateway.rest.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.flotilla.contracts.v1.Network;
import io.flotilla.gateway.docker.mapping.DockerFilters;
import io.flotilla.gateway.docker.mapping.NetworkMapper;
import io.flotilla.gateway.service.NetworkCommands;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Comparator;
import java.util.List;

/**
 * Docker's {@code /networks} for swarm-scoped networks: create, list, inspect, remove. The node-agent merges
 * the list with its host's local networks (bridge, docker_gwbridge, host, none) and fills in an inspected
 * network's local Containers and its Peers.
 */
@Path("/networks")
@Produces(MediaType.APPLICATION_JSON)
public class NetworkResource {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @Inject
    NetworkCommands networks;
    @Inject
    ObjectMapper json;

    @POST
    @Path("/create")
    public Response create(String body) throws Exception {
        Network n = NetworkMapper.fromDocker(json.readTree(body == null || body.isBlank() ? "null" : body));
        String id = networks.create(n);
        return Response.status(201).entity(F.objectNode().put("Id", id).put("Warning", "")).build();
    }

    @GET
    public JsonNode list(@QueryParam("filters") String rawFilters) {
        DockerFilters f = DockerFilters.parse(rawFilters).accept("id", "name", "label", "driver", "scope", "type");
        List<Network> matching = networks.list().stream()
                .filter(n -> f.matches("id", v -> n.getMeta().getId().startsWith(v)))
                .filter(n -> f.matches("name", v -> n.getName().contains(v)))
                .filter(n -> f.matchesLabels("label", n.getLabelsMap()))
                .filter(n -> f.matches("driver", v -> v.equals(n.getDriver().isEmpty() ? "overlay" : n.getDriver())))
                .filter(n -> f.matches("scope", "swarm"::equals))
                .filter(n -> f.matches("type", "custom"::equals))
                .sorted(Comparator.comparing(Network::getName))
                .toList();
        ArrayNode out = F.arrayNode();
        for (Network n : matching) {
            out.add(NetworkMapper.toDocker(n));
        }
        return out;
    }

    @GET
    @Path("/{id}")
    public JsonNode inspect(@PathParam("id") String id) {
        return NetworkMapper.toDocker(networks.find(id));
    }

    @DELETE
    @Path("/{id}")
    public Response remove(@PathParam("id") String id) {
        networks.remove(id);
        return Response.noContent().build();
    }
}
