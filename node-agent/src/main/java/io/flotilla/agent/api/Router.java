package io.flotilla.agent.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Decides who answers a Docker Engine API request, from its method and path alone. */
final class Router {

    enum Route {
        /** GET/HEAD /_ping: answered by the agent. */
        PING,
        /** GET /version: dockerd's answer, adjusted. */
        VERSION,
        /** GET /info: dockerd's answer with Flotilla's Swarm block. */
        INFO,
        SWARM_INIT,
        SWARM_JOIN,
        SWARM_LEAVE,
        /** Cluster state: the managers' api-gateway (or "not a swarm manager"). */
        MANAGERS,
        /** GET /networks: dockerd's networks and the swarm networks. */
        NETWORK_LIST,
        /** POST /networks/create: the driver in the body decides (overlay: managers). */
        NETWORK_CREATE,
        /** /networks/{id}...: dockerd when it knows the network, otherwise the managers. */
        NETWORK_BY_ID,
        /**
         * GET /distribution/{name}/json: answered from the local image, never from a registry (there is
         * none, and dockerd would reach for outside hosts).
         */
        DISTRIBUTION,
        /** Everything local: containers, images, exec, volumes, events, local networks. */
        DOCKERD
    }

    private static final Pattern VERSIONED = Pattern.compile("^/v[0-9]+(?:\\.[0-9]+)?(/.*)$");
    private static final Pattern NETWORK_ID = Pattern.compile("^/networks/([^/]+)(?:/.*)?$");

    private Router() {
    }

    /** The path without its /vX.Y prefix. */
    static String unversioned(String path) {
        Matcher m = VERSIONED.matcher(path);
        return m.matches() ? m.group(1) : path;
    }

    /** The network name or id of a /networks/{id}[/...] path, or null. */
    static String networkId(String path) {
        Matcher m = NETWORK_ID.matcher(unversioned(path));
        if (!m.matches()) {
            return null;
        }
        String id = m.group(1);
        return id.equals("create") || id.equals("prune") ? null : id;
    }

    static Route route(String method, String rawPath) {
        String path = unversioned(rawPath);
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        switch (path) {
            case "/_ping":
                if (method.equals("GET") || method.equals("HEAD")) {
                    return Route.PING;
                }
                return Route.DOCKERD;
            case "/version":
                return method.equals("GET") ? Route.VERSION : Route.DOCKERD;
            case "/info":
                return method.equals("GET") ? Route.INFO : Route.DOCKERD;
            case "/swarm/init":
                return method.equals("POST") ? Route.SWARM_INIT : Route.MANAGERS;
            case "/swarm/join":
                return method.equals("POST") ? Route.SWARM_JOIN : Route.MANAGERS;
            case "/swarm/leave":
                return method.equals("POST") ? Route.SWARM_LEAVE : Route.MANAGERS;
            case "/networks":
                return method.equals("GET") ? Route.NETWORK_LIST : Route.DOCKERD;
            case "/networks/create":
                return method.equals("POST") ? Route.NETWORK_CREATE : Route.DOCKERD;
            default:
                break;
        }
        if (under(path, "/swarm") || under(path, "/nodes") || under(path, "/services") || under(path, "/tasks")
                || under(path, "/secrets") || under(path, "/configs")) {
            return Route.MANAGERS;
        }
        if (path.startsWith("/distribution/") && path.endsWith("/json") && method.equals("GET")) {
            return Route.DISTRIBUTION;
        }
        if (networkId(path) != null) {
            return Route.NETWORK_BY_ID;
        }
        return Route.DOCKERD;
    }

    private static boolean under(String path, String root) {
        return path.equals(root) || path.startsWith(root + "/");
    }
}
