package io.flotilla.gateway.rest.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.gateway.docker.mapping.DockerFilters;
import io.flotilla.gateway.docker.mapping.ServiceMapper;
import io.flotilla.gateway.docker.mapping.ServiceMapper.ServiceStatus;
import io.flotilla.gateway.docker.mapping.ServiceSpecMapper;
import io.flotilla.gateway.service.ServiceCommands;
import io.flotilla.gateway.service.TaskLogs;
import io.flotilla.gateway.service.TaskQueries;
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
import java.util.Map;

/** Docker's {@code /services}: create, list (with status), inspect, update, remove. */
@Path("/services")
@Produces(MediaType.APPLICATION_JSON)
public class ServiceResource {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @Inject
    ServiceCommands services;
    @Inject
    ObjectMapper json;
    @Inject
    TaskQueries tasks;
    @Inject
    TaskLogs logs;

    @POST
    @Path("/create")
    public Response create(String body) throws Exception {
        ServiceSpec spec = ServiceSpecMapper.fromDocker(json.readTree(body == null || body.isBlank() ? "null" : body));
        String id = services.create(spec);
        ObjectNode out = F.objectNode().put("ID", id);
        out.putNull("Warnings");
        return Response.status(201).entity(out).build();
    }

    @GET
    public JsonNode list(@QueryParam("filters") String rawFilters, @QueryParam("status") String status) {
        DockerFilters f = DockerFilters.parse(rawFilters).accept("id", "name", "label", "mode");
        List<Service> matching = services.list().stream()
                .filter(s -> f.matches("id", v -> s.getMeta().getId().startsWith(v)))
                .filter(s -> f.matches("name", v -> s.getSpec().getName().startsWith(v)))
                .filter(s -> f.matchesLabels("label", s.getSpec().getLabelsMap()))
                .filter(s -> f.matches("mode", v -> v.equals(s.getSpec().hasGlobal() ? "global" : "replicated")))
                .sorted(Comparator.comparing((Service s) -> s.getMeta().getId()))
                .toList();
        Map<String, ServiceStatus> counts = DockerParams.bool(status) ? services.status(matching) : Map.of();
        ArrayNode out = F.arrayNode();
        for (Service s : matching) {
            out.add(ServiceMapper.toDocker(s, false, counts.get(s.getMeta().getId())));
        }
        return out;
    }

    @GET
    @Path("/{id}")
    public JsonNode inspect(@PathParam("id") String id, @QueryParam("insertDefaults") String insertDefaults) {
        return ServiceMapper.toDocker(services.find(id), DockerParams.bool(insertDefaults), null);
    }

    @POST
    @Path("/{id}/update")
    public JsonNode update(@PathParam("id") String id, @QueryParam("version") String version,
                           @QueryParam("rollback") String rollback, String body) throws Exception {
        long v = DockerParams.version("service", version);
        boolean toPrevious = "previous".equals(rollback);
        ServiceSpec spec = toPrevious && (body == null || body.isBlank())
                ? ServiceSpec.getDefaultInstance()
                : ServiceSpecMapper.fromDocker(json.readTree(body == null || body.isBlank() ? "null" : body));
        services.update(id, v, spec, toPrevious);
        ObjectNode out = F.objectNode();
        out.putNull("Warnings");
        return out;
    }

    /** Docker's service logs: every task's container log from its node, multiplexed, with task context. */
    @GET
    @Path("/{id}/logs")
    public Response logs(@PathParam("id") String id, @QueryParam("stdout") String stdout,
                         @QueryParam("stderr") String stderr, @QueryParam("follow") String follow,
                         @QueryParam("tail") String tail, @QueryParam("since") String since,
                         @QueryParam("timestamps") String timestamps, @QueryParam("details") String details) {
        TaskLogs.Options options = DockerParams.logOptions(stdout, stderr, follow, tail, since, timestamps, details);
        Service service = services.find(id);
        List<TaskLogs.Source> sources = tasks.logSources(tasks.list(new TaskQueries.Query(
                java.util.Set.of(service.getMeta().getId()), java.util.Set.of(), java.util.Set.of(), false)));
        return DockerParams.logStream(logs, sources, options);
    }

    @DELETE
    @Path("/{id}")
    public Response remove(@PathParam("id") String id) {
        services.remove(id);
        return Response.ok().build();
    }
}
