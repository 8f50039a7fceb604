package io.flotilla.gateway.rest.nativeapi;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.gateway.service.ServiceCommands;
import io.flotilla.gateway.service.TaskQueries;
import io.flotilla.gateway.store.StoreClient;
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

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Flotilla's own REST API: the store's objects in protobuf canonical JSON (objects.proto field names in
 * lowerCamelCase, enums by name, 64-bit integers as strings).
 */
@Path("/flotilla/v1")
@Produces(MediaType.APPLICATION_JSON)
public class NativeResource {
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    @Inject
    ServiceCommands services;
    @Inject
    TaskQueries tasks;
    @Inject
    StoreClient store;

    @POST
    @Path("/services")
    public Response create(String body) throws InvalidProtocolBufferException {
        ServiceSpec.Builder spec = ServiceSpec.newBuilder();
        PARSER.merge(body == null ? "" : body, spec);
        String id = services.create(spec.build());
        return Response.status(201).entity("{\"id\":\"" + id + "\"}").build();
    }

    @GET
    @Path("/services")
    public String services() {
        return array(services.list());
    }

    @GET
    @Path("/services/{id}")
    public String service(@PathParam("id") String id) {
        return print(services.find(id));
    }

    @DELETE
    @Path("/services/{id}")
    public Response remove(@PathParam("id") String id) {
        services.remove(id);
        return Response.noContent().build();
    }

    @GET
    @Path("/tasks")
    public String tasks(@QueryParam("service") String service, @QueryParam("node") String node) {
        Set<String> serviceIds = service == null || service.isEmpty() ? Set.of() : Set.of(services.find(service).getMeta().getId());
        Set<String> nodeIds = node == null || node.isEmpty() ? Set.of() : Set.of(node);
        return array(tasks.list(new TaskQueries.Query(serviceIds, nodeIds, Set.of(), false)));
    }

    @GET
    @Path("/nodes")
    public String nodes() {
        return array(store.list(Kind.KIND_NODE).stream().map(StoredObject::getNode).toList());
    }

    private static String array(List<? extends MessageOrBuilder> messages) {
        return messages.stream().map(NativeResource::print).collect(Collectors.joining(",", "[", "]"));
    }

    private static String print(MessageOrBuilder m) {
        try {
            return PRINTER.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
