package io.flotilla.agent.api;

import io.flotilla.agent.api.Router.Route;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RouterTest {

    @Test
    void localAnswersWithOrWithoutVersionPrefix() {
        assertEquals(Route.PING, Router.route("HEAD", "/_ping"));
        assertEquals(Route.PING, Router.route("GET", "/v1.41/_ping"));
        assertEquals(Route.VERSION, Router.route("GET", "/v1.24/version"));
        assertEquals(Route.INFO, Router.route("GET", "/info"));
        assertEquals(Route.SWARM_INIT, Router.route("POST", "/v1.41/swarm/init"));
        // never a registry: the image's digest comes from the local image
        assertEquals(Route.DISTRIBUTION, Router.route("GET", "/v1.41/distribution/kalise/nodejs-web-app:latest/json"));
        assertEquals(Route.DISTRIBUTION, Router.route("GET", "/distribution/busybox/json"));
        assertEquals(Route.SWARM_JOIN, Router.route("POST", "/v1.41/swarm/join"));
        assertEquals(Route.SWARM_LEAVE, Router.route("POST", "/v1.41/swarm/leave"));
    }

    @Test
    void clusterCallsGoToTheManagers() {
        for (String p : new String[] {"/swarm", "/swarm/update", "/swarm/unlockkey", "/nodes", "/nodes/abc",
                "/services", "/services/create", "/services/x/update", "/services/x/logs", "/tasks", "/tasks/t1",
                "/secrets", "/secrets/create", "/configs/c1"}) {
            assertEquals(Route.MANAGERS, Router.route("GET", "/v1.41" + p), p);
        }
    }

    @Test
    void localThingsGoToDockerd() {
        for (String p : new String[] {"/containers/json", "/containers/abc/attach", "/exec/abc/start", "/images/json",
                "/volumes", "/events", "/networks", "/networks/prune", "/build",
                "/nodesx", "/servicesfoo"}) {
            assertEquals(Route.DOCKERD, Router.route("POST", "/v1.41" + p), p);
        }
        assertEquals(Route.DOCKERD, Router.route("POST", "/_ping"));
    }

    @Test
    void networksDependOnBodyOrName() {
        assertEquals(Route.NETWORK_CREATE, Router.route("POST", "/v1.41/networks/create"));
        assertEquals(Route.NETWORK_BY_ID, Router.route("GET", "/v1.41/networks/my-overlay"));
        assertEquals(Route.NETWORK_BY_ID, Router.route("POST", "/v1.41/networks/abc/connect"));
        assertEquals("abc", Router.networkId("/v1.41/networks/abc/connect"));
        assertNull(Router.networkId("/v1.41/networks"));
    }
}
