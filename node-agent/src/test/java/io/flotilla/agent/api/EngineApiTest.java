package io.flotilla.agent.api;

import io.flotilla.agent.supervisor.Launch;
import io.flotilla.agent.supervisor.ManagerControl;
import io.flotilla.agent.swarm.SwarmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The endpoint against a scripted dockerd, gateway and cluster-state health: framing, routing, errors. */
class EngineApiTest {

    @TempDir
    Path tmp;
    private FakeHttpServer dockerd;
    private FakeHttpServer gateway;
    private FakeHttpServer health;
    private volatile int healthStatus = 200;
    private final java.util.concurrent.CountDownLatch eventsClosed = new java.util.concurrent.CountDownLatch(1);
    private SwarmState swarm;
    private final FakeManagers managers = new FakeManagers();
    private EngineApi api;
    private int port;

    static final class FakeManagers implements ManagerControl {
        final List<String> calls = new ArrayList<>();
        Launch launch;

        @Override
        public synchronized void start(Launch l) {
            calls.add("start " + l);
            launch = l;
        }

        @Override
        public synchronized void stop() {
            calls.add("stop");
            launch = null;
        }

        @Override
        public synchronized void wipeData() {
            calls.add("wipe");
        }

        @Override
        public synchronized Optional<Launch> launch() {
            return Optional.ofNullable(launch);
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        dockerd = FakeHttpServer.unix(tmp.resolve("docker.sock"), (req, body, w) -> {
            String p = Router.unversioned(req.path());
            if (p.equals("/containers/json")) {
                w.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "1\r\n[\r\n1\r\n]\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                return true;
            }
            if (p.startsWith("/exec/") && p.endsWith("/start")) {
                w.write(("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                        + "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                Bodies.copyToEof(w, w::write); // echo until the client half-closes
                w.write("bye".getBytes(StandardCharsets.ISO_8859_1));
                return false;
            }
            if (p.equals("/events")) {
                w.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "3\r\n{}\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                while (w.fill() >= 0) {
                    // a quiet event stream: wait for the proxy to hang up
                }
                eventsClosed.countDown();
                return false;
            }
            if (p.equals("/info")) {
                FakeHttpServer.respond(w, 200, "application/json",
                        "{\"Name\":\"machine\",\"Containers\":2,\"Swarm\":{\"LocalNodeState\":\"inactive\"}}");
                return true;
            }
            if (p.equals("/version")) {
                FakeHttpServer.respond(w, 200, "application/json",
                        "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\"}");
                return true;
            }
            if (p.equals("/networks/create")) {
                FakeHttpServer.respond(w, 201, "application/json", "{\"Id\":\"local1\",\"Warning\":\"\"}");
                return true;
            }
            if (p.startsWith("/networks/")) {
                String id = Router.networkId(req.path());
                if ("bridge".equals(id)) {
                    FakeHttpServer.respond(w, 200, "application/json", "{\"Name\":\"bridge\"}");
                } else {
                    FakeHttpServer.respond(w, 404, "application/json",
                            "{\"message\":\"network " + id + " not found\"}");
                }
                return true;
            }
            FakeHttpServer.respond(w, 404, "application/json", "{\"message\":\"page not found\"}");
            return true;
        });
        gateway = FakeHttpServer.tcp((req, body, w) -> {
            FakeHttpServer.respond(w, 200, "application/json", "{\"gateway\":\"" + req.method() + " " + req.target()
                    + "\"}");
            return true;
        });
        health = FakeHttpServer.tcp((req, body, w) -> {
            FakeHttpServer.respond(w, healthStatus, "application/json", "{\"status\":\"UP\"}");
            return true;
        });
        swarm = new SwarmState(tmp.resolve("data"), "node0000000000000000000001");
        api = new EngineApi(new EngineApi.Settings("tcp://127.0.0.1:0", tmp.resolve("docker.sock").toString(),
                "http://127.0.0.1:" + gateway.port(), "swarm00", "10.10.10.60",
                "http://127.0.0.1:" + health.port() + "/q/health/ready", Duration.ofSeconds(2)), swarm, managers);
        api.start();
        port = api.port();
    }

    @AfterEach
    void tearDown() throws IOException {
        api.close();
        dockerd.close();
        gateway.close();
        health.close();
    }

    /** One raw connection: write requests, read what comes back. */
    private static final class Client implements AutoCloseable {
        final Socket s;
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            s = new Socket("127.0.0.1", port);
            s.setSoTimeout(5000);
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Reads until the text read so far contains marker. */
        String readUntil(String marker) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (!b.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
                int c = in.read();
                if (c < 0) {
                    break;
                }
                b.write(c);
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }

        String readAll() throws IOException {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            s.close();
        }
    }

    private static String req(String method, String path, String body) {
        String b = body == null ? "" : body;
        return method + " " + path + " HTTP/1.1\r\nHost: api\r\n"
                + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + b.length() + "\r\n")
                + "\r\n" + b;
    }

    /** Sends one request on a fresh connection (Connection: close) and returns the whole answer. */
    private String call(String method, String path, String body) throws IOException {
        try (Client c = new Client(port)) {
            c.send(req(method, path, body).replaceFirst("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
            return c.readAll();
        }
    }

    @Test
    void pingCarriesTheHeadersTheCliNeeds() throws IOException {
        String head = call("HEAD", "/_ping", null);
        assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n"), head);
        assertTrue(head.contains("Api-Version: 1.41\r\n"));
        assertTrue(head.contains("Ostype: linux\r\n"));
        assertTrue(head.contains("Docker-Experimental: false\r\n"));
        assertTrue(head.contains("Swarm: inactive\r\n"));
        assertTrue(head.contains("Cache-Control: no-cache"));
        assertTrue(head.endsWith("\r\n\r\n"), "HEAD has no body");
        String get = call("GET", "/v1.41/_ping", null);
        assertTrue(get.endsWith("\r\n\r\nOK"), get);
    }

    @Test
    void aManagersCallWaitsForItsGatewayWhileItStarts() throws Exception {
        swarm.update(new SwarmState.Snapshot("m1", true, true, List.of("10.10.10.60:2377")));
        managers.start(new Launch("m1", "10.10.10.60", true));
        int gatewayPort = gateway.port();
        gateway.close(); // the gateway is not listening yet
        java.util.concurrent.CompletableFuture<String> answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return call("GET", "/v1.41/swarm", null);
            } catch (IOException e) {
                return e.toString();
            }
        });
        Thread.sleep(1000);
        assertFalse(answer.isDone(), "answered before the gateway listened: " + answer.getNow(""));
        gateway = FakeHttpServer.tcp(gatewayPort, (req, body, w) -> {
            FakeHttpServer.respond(w, 200, "application/json", "{\"started\":\"" + req.target() + "\"}");
            return true;
        });
        String got = answer.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(got.startsWith("HTTP/1.1 200 ") && got.contains("{\"started\":\"/v1.41/swarm\"}"), got);

        managers.stop(); // not running the manager services: no waiting, the gateway's absence is the answer
        gateway.close();
        String refused = call("GET", "/v1.41/swarm", null);
        assertTrue(refused.startsWith("HTTP/1.1 503 ") && refused.contains("not reachable"), refused);
    }

    @Test
    void keepAliveConnectionCarriesProxiedChunkedAndLocalAnswers() throws IOException {
        try (Client c = new Client(port)) {
            c.send(req("GET", "/v1.41/containers/json", null) + req("HEAD", "/_ping", null)
                    + req("GET", "/v1.41/nodes", null));
            String first = c.readUntil("0\r\n\r\n");
            assertTrue(first.startsWith("HTTP/1.1 200 OK\r\n"));
            assertTrue(first.endsWith("Transfer-Encoding: chunked\r\n\r\n1\r\n[\r\n1\r\n]\r\n0\r\n\r\n"),
                    "dockerd's bytes unchanged: " + first);
            String second = c.readUntil("\r\n\r\n");
            assertTrue(second.startsWith("HTTP/1.1 200 OK") && second.contains("Swarm: inactive"), second);
            String third = c.readUntil("try again.\"}\n");
            assertTrue(third.startsWith("HTTP/1.1 503 "), third);
            assertTrue(third.contains("{\"message\":\"" + Responses.NOT_IN_SWARM_MANAGER.replace("\"", "\\\"")),
                    third);
        }
    }

    @Test
    void aClientLeavingAQuietStreamReleasesDockerdsConnection() throws Exception {
        try (Client c = new Client(port)) {
            c.send(req("GET", "/v1.41/events", null));
            assertTrue(c.readUntil("{}\n\r\n").contains("Transfer-Encoding: chunked"));
        }
        assertTrue(eventsClosed.await(3, java.util.concurrent.TimeUnit.SECONDS),
                "dockerd's side of the stream was closed after the client left");
    }

    @Test
    void hijackedExecIsARawTwoWayPipeWithHalfClose() throws IOException {
        try (Client c = new Client(port)) {
            c.send("POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: api\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 29\r\n\r\n{\"Detach\":false,\"Tty\":false}\n");
            String head = c.readUntil("\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 101 UPGRADED\r\n"), head);
            assertTrue(head.contains("Content-Type: application/vnd.docker.raw-stream"));
            c.send("echo hello\n");
            assertEquals("echo hello\n", c.readUntil("\n"));
            c.s.shutdownOutput(); // stdin closed: dockerd sees EOF, finishes, closes
            assertEquals("bye", c.readAll());
        }
    }

    @Test
    void swarmCallsOnANonMemberGetDockersErrors() throws IOException {
        String leave = call("POST", "/v1.41/swarm/leave", null);
        assertTrue(leave.startsWith("HTTP/1.1 503 "), leave);
        assertTrue(leave.endsWith("{\"message\":\"This node is not part of a swarm\"}\n"), leave);
        String join = call("POST", "/v1.41/swarm/join", "{}");
        // join is answered here (it calls a manager); without a manager address it is refused as dockerd does
        assertTrue(join.startsWith("HTTP/1.1 400 ") && join.contains("at least 1 RemoteAddr is required to join"), join);
        String overlay = call("POST", "/v1.41/networks/create", "{\"Name\":\"o\",\"Driver\":\"overlay\"}");
        assertTrue(overlay.startsWith("HTTP/1.1 503 ") && overlay.contains("not a swarm manager"), overlay);
        String bridge = call("POST", "/v1.41/networks/create", "{\"Name\":\"b\",\"Driver\":\"bridge\"}");
        assertTrue(bridge.startsWith("HTTP/1.1 201 ") && bridge.contains("local1"), bridge);
        assertTrue(dockerd.requests.contains("POST /v1.41/networks/create {\"Name\":\"b\",\"Driver\":\"bridge\"}"));
        String unknown = call("GET", "/v1.41/networks/nope", null);
        assertTrue(unknown.startsWith("HTTP/1.1 404 "), "a non-manager asks dockerd: " + unknown);
        assertTrue(gateway.requests.isEmpty());
    }

    private void beManager() {
        swarm.update(new SwarmState.Snapshot("node0000000000000000000001", true, true, List.of("127.0.0.1:2377")));
    }

    /** Sends one request on a kept-alive client connection and reads its answer (the fake gateway's JSON). */
    private static String get(Client c, String method, String path, String body) throws IOException {
        c.send(req(method, path, body));
        return c.readUntil("\"}");
    }

    @Test
    void theGatewaysGetsGoOnOneKeptAliveConnection() throws IOException {
        beManager();
        try (Client c = new Client(port)) {
            for (int i = 0; i < 5; i++) {
                String a = get(c, "GET", "/v1.41/tasks?n=" + i, null);
                assertTrue(a.startsWith("HTTP/1.1 200 ") && a.endsWith("{\"gateway\":\"GET /v1.41/tasks?n=" + i + "\"}"), a);
            }
        }
        long until = System.currentTimeMillis() + 2000; // given back once the closed client connection is seen
        while (api.idleGatewayConnections() == 0 && System.currentTimeMillis() < until) {
            Thread.onSpinWait();
        }
        try (Client c = new Client(port)) { // another client connection, later: the same backend connection
            assertTrue(get(c, "GET", "/v1.41/services", null).contains("GET /v1.41/services"));
        }
        assertEquals(1, gateway.connections.get(), "one connection to the gateway for six GETs");
        try (Client c = new Client(port)) {
            String created = get(c, "POST", "/v1.41/services/create", "{\"Name\":\"web\"}");
            assertTrue(created.contains("POST /v1.41/services/create"), created);
            assertTrue(get(c, "GET", "/v1.41/services", null).contains("GET /v1.41/services"));
        }
        assertEquals(2, gateway.connections.get(), "a POST on a connection of its own (not sent again if it breaks)");
        try (Client c = new Client(port)) {
            c.send(req("GET", "/v1.41/services/web/logs?follow=1", null));
            assertTrue(c.readUntil("\"}").contains("/logs?follow=1"));
        }
        assertEquals(3, gateway.connections.get(), "logs (a stream) on a connection of its own");
    }

    @Test
    void aGetWhoseKeptAliveConnectionTheGatewayClosedGoesAgainOnANewOne() throws IOException {
        beManager();
        // answers the first request of each connection; at the second, closes it without a word (as a gateway
        // closing an idle connection just as a request comes)
        java.util.Map<Wire, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
        gateway.handler((req, body, w) -> {
            if (seen.merge(w, 1, Integer::sum) > 1) {
                return false;
            }
            FakeHttpServer.respond(w, 200, "application/json", "{\"gateway\":\"" + req.target() + "\"}");
            return true;
        });
        assertEquals(0, gateway.connections.get(), gateway.requests.toString());
        try (Client c = new Client(port)) {
            for (int i = 0; i < 3; i++) {
                String a = get(c, "GET", "/v1.41/nodes?n=" + i, null);
                assertTrue(a.startsWith("HTTP/1.1 200 ") && a.endsWith("{\"gateway\":\"/v1.41/nodes?n=" + i + "\"}"), a);
            }
        }
        assertEquals(3, gateway.connections.get(), "the first GET's, then one for each GET sent again");
        assertEquals(5, gateway.requests.size(), gateway.requests.toString());
    }

    @Test
    void workerGetsTheWorkerWording() throws IOException {
        swarm.update(new SwarmState.Snapshot("w1", true, false, List.of("10.0.0.1:2377")));
        String nodes = call("GET", "/v1.41/nodes", null);
        assertTrue(nodes.startsWith("HTTP/1.1 503 ") && nodes.contains("Worker nodes can't be used"), nodes);
        assertTrue(call("HEAD", "/_ping", null).contains("Swarm: active/worker"));
    }

    @Test
    void initMakesAManagerThenClusterCallsGoToTheGatewayAsSent() throws IOException {
        String init = call("POST", "/v1.41/swarm/init", "{\"ListenAddr\":\"0.0.0.0:2377\",\"AdvertiseAddr\":"
                + "\"127.0.0.1\",\"ForceNewCluster\":false}");
        assertTrue(init.startsWith("HTTP/1.1 200 "), init);
        assertTrue(init.endsWith("\r\n\r\n\"node0000000000000000000001\"\n"), init);
        assertEquals(List.of("start " + new Launch("node0000000000000000000001", "127.0.0.1", true)), managers.calls);
        SwarmState.Snapshot s = swarm.current();
        assertTrue(s.member() && s.manager());
        assertEquals(List.of("127.0.0.1:2377"), s.managers());

        String again = call("POST", "/v1.41/swarm/init", "{}");
        assertTrue(again.startsWith("HTTP/1.1 503 ") && again.contains("already part of a swarm"), again);

        String nodes = call("GET", "/v1.41/nodes?filters=%7B%7D", null);
        assertTrue(nodes.contains("{\"gateway\":\"GET /v1.41/nodes?filters=%7B%7D\"}"), nodes);
        String overlay = call("POST", "/v1.41/networks/create", "{\"Name\":\"o\",\"Driver\":\"overlay\"}");
        assertTrue(overlay.contains("\"gateway\":\"POST /v1.41/networks/create\""), overlay);
        assertTrue(gateway.requests.contains("POST /v1.41/networks/create {\"Name\":\"o\",\"Driver\":\"overlay\"}"));
        assertTrue(call("GET", "/v1.41/networks/swarmnet", null).contains("\"gateway\":\"GET /v1.41/networks/swarmnet\""));
        assertTrue(call("GET", "/v1.41/networks/bridge", null).contains("{\"Name\":\"bridge\"}"));

        String info = call("GET", "/v1.41/info", null);
        assertTrue(info.contains("\"Name\":\"swarm00\""), info);
        assertTrue(info.contains("\"LocalNodeState\":\"active\""), info);
        assertTrue(info.contains("\"ControlAvailable\":true"), info);
        assertTrue(info.contains("\"NodeAddr\":\"127.0.0.1\""), info);
        assertTrue(call("HEAD", "/_ping", null).contains("Swarm: active/manager"));

        String leave = call("POST", "/v1.41/swarm/leave", null);
        assertTrue(leave.startsWith("HTTP/1.1 503 ") && leave.contains("Removing the last manager erases"), leave);
        String forced = call("POST", "/v1.41/swarm/leave?force=1", null);
        assertTrue(forced.startsWith("HTTP/1.1 200 "), forced);
        assertFalse(swarm.current().member());
        assertNotEquals("node0000000000000000000001", swarm.current().nodeId(), "a node that left has a new id");
        assertTrue(managers.calls.containsAll(List.of("stop", "wipe")));
    }

    @Test
    void initThatNeverBecomesReadyStopsWhatItStartedAndChangesNothing() throws IOException {
        healthStatus = 503;
        String init = call("POST", "/v1.41/swarm/init", "{\"AdvertiseAddr\":\"127.0.0.1\"}");
        assertTrue(init.startsWith("HTTP/1.1 500 ") && init.contains("did not become ready"), init);
        assertEquals("stop", managers.calls.get(managers.calls.size() - 1));
        assertFalse(swarm.current().member());
        String bad = call("POST", "/v1.41/swarm/init", "{\"AdvertiseAddr\":\"nosuchif0\"}");
        assertTrue(bad.startsWith("HTTP/1.1 400 ") && bad.contains("advertise address must be"), bad);
    }

    @Test
    void versionIsDockerdsWithTheApiVersionFlotillaSpeaks() throws IOException {
        String v = call("GET", "/version", null);
        assertTrue(v.contains("\"ApiVersion\":\"1.41\"") && v.contains("\"MinAPIVersion\":\"1.12\""), v);
    }

    @Test
    void dockerdDownIsADockerShapedError() throws IOException {
        dockerd.close();
        java.nio.file.Files.deleteIfExists(tmp.resolve("docker.sock"));
        String r = call("GET", "/v1.41/containers/json", null);
        assertTrue(r.startsWith("HTTP/1.1 502 ") && r.contains("{\"message\":\"cannot connect to the Docker daemon"),
                r);
    }
}
