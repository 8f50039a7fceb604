package io.flotilla.gateway.rest;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node-agent forwards Docker API calls as the CLI made them, usually with a version prefix
 * ({@code /v1.41/services}); the resources are declared without it.
 */
@Provider
@PreMatching
public class VersionPrefixFilter implements ContainerRequestFilter {
    private static final Pattern PREFIX = Pattern.compile("^/v[0-9]+(?:\\.[0-9]+)*(/.*)$");

    @Override
    public void filter(ContainerRequestContext ctx) {
        URI uri = ctx.getUriInfo().getRequestUri();
        String path = uri.getRawPath();
        Matcher m = PREFIX.matcher(path == null ? "" : path);
        if (m.matches()) {
            String query = uri.getRawQuery();
            ctx.setRequestUri(URI.create(m.group(1) + (query == null ? "" : "?" + query)));
        }
    }
}
