package io.flotilla.gateway.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.InvalidProtocolBufferException;
import io.flotilla.gateway.docker.mapping.InvalidSpecException;
import io.flotilla.gateway.service.ApiException;
import io.flotilla.gateway.store.StoreUnavailableException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error as {@code {"message": "..."}} with its status: Docker's wording (with the
 * "rpc error: code = ... desc = ..." prefix where Docker shows one) on the Docker API, the plain
 * message on the native API.
 */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e, UriInfo uri) {
        return error(e.status(), isNative(uri) ? e.getMessage() : e.dockerMessage());
    }

    @ServerExceptionMapper
    public Response invalid(InvalidSpecException e) {
        return error(400, e.getMessage());
    }

    @ServerExceptionMapper
    public Response badProto(InvalidProtocolBufferException e) {
        return error(400, "invalid JSON: " + e.getMessage());
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        return error(400, "invalid JSON: " + e.getOriginalMessage());
    }

    @ServerExceptionMapper
    public Response unavailable(StoreUnavailableException e) {
        LOG.warnf("store unavailable: %s", e.getMessage());
        return error(503, "rpc error: code = Unavailable desc = " + e.getMessage());
    }

    static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(JsonNodeFactory.instance.objectNode().put("message", message)).build();
    }

    private static boolean isNative(UriInfo uri) {
        return uri != null && uri.getPath().startsWith("/flotilla/");
    }
}
