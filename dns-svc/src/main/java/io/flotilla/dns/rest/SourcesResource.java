package io.flotilla.dns.rest;

import io.flotilla.dns.feed.NameTableFeed;
import io.flotilla.dns.view.Addresses;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local agent tells dns-svc which extra source addresses (the docker_gwbridge address of each task
 * container) belong to which task; queries arriving from those addresses are answered for that task.
 * Only from loopback (the agent runs beside dns-svc).
 */
@Path("/flotilla/v1/dns/sources")
@Produces(MediaType.APPLICATION_JSON)
public class SourcesResource {

    /** The body of a PUT for one task. */
    public record Sources(List<String> addresses) {
    }

    @Inject
    NameTableFeed feed;

    @Context
    HttpServerRequest request;

    @GET
    public Map<String, List<String>> list() {
        localOnly();
        Map<String, List<String>> out = new LinkedHashMap<>();
        feed.table().sources().forEach((task, addrs) -> out.put(task, addrs.stream().map(InetAddress::getHostAddress).toList()));
        return out;
    }

    @PUT
    public Response replace(Map<String, List<String>> byTask) {
        localOnly();
        Map<String, List<InetAddress>> parsed = new LinkedHashMap<>();
        byTask.forEach((task, addrs) -> parsed.put(task, parse(addrs)));
        feed.table().replaceSources(parsed);
        return Response.noContent().build();
    }

    @PUT
    @Path("{taskId}")
    public Response put(@PathParam("taskId") String taskId, Sources body) {
        localOnly();
        feed.table().putSources(taskId, parse(body == null || body.addresses() == null ? List.of() : body.addresses()));
        return Response.noContent().build();
    }

    @DELETE
    @Path("{taskId}")
    public Response delete(@PathParam("taskId") String taskId) {
        localOnly();
        feed.table().removeSources(taskId);
        return Response.noContent().build();
    }

    private static List<InetAddress> parse(List<String> addrs) {
        List<InetAddress> out = new ArrayList<>();
        for (String s : addrs) {
            out.add(Addresses.parse(s).orElseThrow(() -> new WebApplicationException("not an address: " + s, 400)));
        }
        return out;
    }

    private void localOnly() {
        if (request != null && request.remoteAddress() != null && request.remoteAddress().hostAddress() != null) {
            String h = request.remoteAddress().hostAddress();
            if (!(h.startsWith("127.") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1"))) {
                throw new WebApplicationException("only the local agent may set sources", 403);
            }
        }
    }
}
