package io.flotilla.gateway.rest.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.gateway.docker.mapping.SwarmMapper;
import io.flotilla.gateway.service.ClusterService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Docker's {@code GET /swarm} and {@code POST /swarm/update} (settings and join-token rotation). */
@Path("/swarm")
@Produces(MediaType.APPLICATION_JSON)
public class SwarmResource {
    @Inject
    ClusterService clusters;
    @Inject
    ObjectMapper json;

    @GET
    public JsonNode inspect() {
        return SwarmMapper.toDocker(clusters.current());
    }

    @POST
    @Path("/update")
    public Response update(@QueryParam("version") String version,
                           @QueryParam("rotateWorkerToken") String rotateWorker,
                           @QueryParam("rotateManagerToken") String rotateManager,
                           @QueryParam("rotateManagerUnlockKey") String rotateUnlock,
                           String body) throws Exception {
        long v = DockerParams.version("swarm", version);
        JsonNode spec = body == null || body.isBlank() ? null : json.readTree(body);
        clusters.update(v, DockerParams.bool(rotateWorker), DockerParams.bool(rotateManager),
                settings -> SwarmMapper.settingsFromDocker(spec, settings));
        return Response.ok().build();
    }
}
