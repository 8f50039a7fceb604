package io.flotilla.gateway.rest.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.gateway.docker.mapping.DockerFilters;
import io.flotilla.gateway.docker.mapping.TaskMapper;
import io.flotilla.gateway.docker.mapping.TaskStates;
import io.flotilla.gateway.service.ApiException;
import io.flotilla.gateway.service.NodeCommands;
import io.flotilla.gateway.service.ServiceCommands;
import io.flotilla.gateway.service.TaskLogs;
import io.flotilla.gateway.service.TaskQueries;
import io.flotilla.gateway.store.StoreClient;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.jboss.logging.Logger;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Docker's {@code GET /tasks} (filters service and node by id or name, desired-state, id, label, and the
 * CLI's hidden {@code _up-to-date}) and {@code GET /tasks/{id}}.
 */
@Path("/tasks")
@Produces(MediaType.APPLICATION_JSON)
public class TaskResource {
    private static final Logger LOG = Logger.getLogger(TaskResource.class);

    @Inject
    TaskQueries tasks;
    @Inject
    ServiceCommands services;
    @Inject
    NodeCommands nodes;
    @Inject
    StoreClient store;
    @Inject
    TaskLogs logs;

    @GET
    public JsonNode list(@QueryParam("filters") String rawFilters) {
        DockerFilters f = DockerFilters.parse(rawFilters)
                .accept("id", "name", "label", "service", "node", "desired-state", "_up-to-date");
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        Set<String> serviceIds = new HashSet<>();
        for (String ref : f.get("service")) {
            try {
                serviceIds.add(services.find(ref).getMeta().getId());
            } catch (ApiException e) {
                if (e.status() != 404) throw e;
            }
        }
        Set<String> nodeIds = new HashSet<>();
        for (String ref : f.get("node")) {
            try {
                nodeIds.add(nodes.find(ref).getMeta().getId());
            } catch (ApiException e) {
                if (e.status() != 404) throw e;
            }
        }
        if ((f.has("service") && serviceIds.isEmpty()) || (f.has("node") && nodeIds.isEmpty())) {
            return out;     // a filter naming nothing that exists matches no task
        }
        Set<TaskState> desired = new HashSet<>();
        for (String word : f.get("desired-state")) {
            if (!Set.of("running", "shutdown", "accepted").contains(word)) {
                throw ApiException.badRequest("Invalid desired-state filter: '" + word + "'");
            }
            desired.add(TaskStates.fromDocker(word));
        }
        boolean upToDate = f.has("_up-to-date");
        List<Task> found = tasks.list(new TaskQueries.Query(serviceIds, nodeIds, desired, upToDate)).stream()
                .filter(t -> f.matches("id", v -> t.getMeta().getId().startsWith(v)))
                .filter(t -> f.matches("name", v -> (t.getServiceName() + "." + t.getSlot()).startsWith(v)))
                .sorted(Comparator.comparing((Task t) -> t.getMeta().getId()))
                .toList();
        Map<String, String> networkNames = networkNames(found);
        found.forEach(t -> out.add(TaskMapper.toDocker(t, networkNames)));
        return out;
    }

    @GET
    @Path("/{id}")
    public JsonNode inspect(@PathParam("id") String id) {
        Task t = tasks.find(id);
        return TaskMapper.toDocker(t, networkNames(List.of(t)));
    }

    /** Docker's task logs: the task's container log from its node, multiplexed, with task context. */
    @GET
    @Path("/{id}/logs")
    public jakarta.ws.rs.core.Response logs(@PathParam("id") String id, @QueryParam("stdout") String stdout,
                                            @QueryParam("stderr") String stderr, @QueryParam("follow") String follow,
                                            @QueryParam("tail") String tail, @QueryParam("since") String since,
                                            @QueryParam("timestamps") String timestamps,
                                            @QueryParam("details") String details) {
        TaskLogs.Options options = DockerParams.logOptions(stdout, stderr, follow, tail, since, timestamps, details);
        Task task = tasks.find(id);
        return DockerParams.logStream(logs, tasks.logSources(java.util.List.of(task)), options);
    }

    /**
     * Network id -> name for the networks these tasks are attached to: a list call to the store only when one of
     * them has an attachment (the CLI and the benches poll this endpoint; most tasks of a bench have none).
     */
    private Map<String, String> networkNames(List<Task> tasks) {
        Map<String, String> names = new HashMap<>();
        if (tasks.stream().allMatch(t -> t.getNetworksCount() == 0)) {
            return names;
        }
        try {
            for (StoredObject o : store.list(Kind.KIND_NETWORK)) {
                names.put(o.getNetwork().getMeta().getId(), o.getNetwork().getName());
            }
        } catch (RuntimeException e) {
            LOG.debugf("network names unavailable: %s", e.getMessage());
        }
        return names;
    }
}
