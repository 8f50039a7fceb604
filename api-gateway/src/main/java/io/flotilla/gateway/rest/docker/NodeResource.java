package io.flotilla.gateway.rest.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.Node;
import io.flotilla.gateway.docker.mapping.DockerFilters;
import io.flotilla.gateway.docker.mapping.NodeMapper;
import io.flotilla.gateway.docker.mapping.SwarmMapper;
import io.flotilla.gateway.service.ClusterService;
import io.flotilla.gateway.service.NodeCommands;
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
import org.jboss.logging.Logger;

import java.util.Comparator;

/** Docker's {@code /nodes}: list with filters, inspect by id, name or id prefix, update, remove. */
@Path("/nodes")
@Produces(MediaType.APPLICATION_JSON)
public class NodeResource {
    private static final Logger LOG = Logger.getLogger(NodeResource.class);

    @Inject
    NodeCommands nodes;
    @Inject
    ClusterService clusters;
    @Inject
    ObjectMapper json;

    @GET
    public JsonNode list(@QueryParam("filters") String rawFilters) {
        DockerFilters f = DockerFilters.parse(rawFilters).accept("id", "name", "role", "membership", "label", "node.label");
        ObjectNode tls = tlsInfo();
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        nodes.list().stream()
                .filter(n -> f.matches("id", v -> n.getMeta().getId().startsWith(v)))
                .filter(n -> f.matches("name", v -> NodeCommands.name(n).startsWith(v) || n.getDescription().getHostname().startsWith(v)))
                .filter(n -> f.matches("role", v -> NodeMapper.role(n.getSpec().getDesiredRole()).equals(v)))
                .filter(n -> f.matches("membership", "accepted"::equals))
                .filter(n -> f.matchesLabels("label", n.getDescription().getEngineLabelsMap()))
                .filter(n -> f.matchesLabels("node.label", n.getSpec().getLabelsMap()))
                .sorted(Comparator.comparing((Node n) -> n.getMeta().getId()))
                .forEach(n -> out.add(NodeMapper.toDocker(n, tls)));
        return out;
    }

    @GET
    @Path("/{id}")
    public JsonNode inspect(@PathParam("id") String id) {
        return NodeMapper.toDocker(nodes.find(id), tlsInfo());
    }

    @POST
    @Path("/{id}/update")
    public Response update(@PathParam("id") String id, @QueryParam("version") String version, String body) throws Exception {
        long v = DockerParams.version("node", version);
        JsonNode spec = json.readTree(body == null || body.isBlank() ? "{}" : body);
        nodes.update(id, v, current -> NodeMapper.specFromDocker(spec, current));
        return Response.ok().build();
    }

    @DELETE
    @Path("/{id}")
    public Response remove(@PathParam("id") String id, @QueryParam("force") String force) {
        nodes.remove(id, DockerParams.bool(force));
        return Response.ok().build();
    }

    private ObjectNode tlsInfo() {
        try {
            return SwarmMapper.tlsInfo(clusters.current().getCaCertPem());
        } catch (RuntimeException e) {
            LOG.debugf("no cluster TLS info: %s", e.getMessage());
            return null;
        }
    }
}
