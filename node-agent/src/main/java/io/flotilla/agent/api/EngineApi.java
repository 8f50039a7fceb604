package io.flotilla.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.flotilla.agent.Deadline;
import io.flotilla.agent.net.NetworkFacts;
import io.flotilla.contracts.v1.OverlayPlan;
import io.flotilla.agent.supervisor.Launch;
import io.flotilla.agent.supervisor.ManagerControl;
import io.flotilla.agent.session.JoinClient;
import io.flotilla.agent.session.ManagerChannels;
import io.flotilla.agent.session.NodeFacts;
import io.flotilla.agent.swarm.NodeIdentity;
import io.flotilla.agent.swarm.SwarmState;
import io.flotilla.agent.swarm.SwarmStateProducer;
import org.jboss.logging.Logger;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Docker Engine API (1.41) endpoint of a host. A byte-level HTTP/1.1 proxy: each request head is parsed
 * only to decide who answers it. Local containers, images, exec, volumes, events and local networks go to
 * the host's dockerd exactly as sent, responses stream back as they come, and hijacked connections (attach,
 * exec start: 101 UPGRADED) become raw two-way pipes. Cluster calls go to the managers' api-gateway on a
 * manager and are refused with Docker's words elsewhere. /_ping, /version, /info and swarm
 * init/join/leave are answered here.
 */
public final class EngineApi implements Closeable {
    private static final Logger LOG = Logger.getLogger(EngineApi.class);
    private static final long MAX_LOCAL_BODY = 4 * 1024 * 1024;
    /** Swarm's words for a refused join token. */
    private static final String INVALID_TOKEN = "A valid join token is necessary to join this cluster";

    /**
     * Settings; see application.properties ("# api").
     *
     * @param grpcPlaintext joins without TLS (FLOTILLA_PLAINTEXT: tests only)
     */
    public record Settings(String listen, String dockerSocket, String gatewayUrl, String node,
                           String advertiseAddr, String clusterHealthUrl, Duration initTimeout, Duration joinTimeout,
                           Path dataDir, boolean grpcPlaintext) {
        public Settings(String listen, String dockerSocket, String gatewayUrl, String node, String advertiseAddr,
                        String clusterHealthUrl, Duration initTimeout) {
            this(listen, dockerSocket, gatewayUrl, node, advertiseAddr, clusterHealthUrl, initTimeout,
                    Duration.ofSeconds(8), null, false);
        }
    }

    /** How long a call for the manager services waits for a gateway that is starting ({@link #connectGateway}). */
    static final Duration GATEWAY_START_WAIT = Duration.ofSeconds(45);

    private final Settings settings;
    private final SwarmState swarm;
    private final ManagerControl managers;
    private final Backend dockerd;
    private final Backend gateway;
    private final IdleConnections gatewayIdle = new IdleConnections(GATEWAY_IDLE_MAX, GATEWAY_IDLE_MS,
            System::currentTimeMillis);
    private final ExecutorService pool;
    private final NodeIdentity identity;
    private final ManagerChannels channels;
    private final Object membershipLock = new Object();
    private final AtomicInteger threads = new AtomicInteger();
    private volatile ServerSocketChannel server;
    private volatile boolean closed;

    private volatile NetworkFacts networkFacts = NetworkFacts.NONE;

    /** What the node's dataplane set up (network ls / inspect show it). */
    public void networkFacts(NetworkFacts facts) {
        this.networkFacts = facts == null ? NetworkFacts.NONE : facts;
    }

    private volatile java.util.function.BooleanSupplier sessionUp;

    /** Whether this node's dispatcher session is up: a join answers once it is (null: it does not wait). */
    public void sessionUp(java.util.function.BooleanSupplier up) {
        this.sessionUp = up;
    }

    public EngineApi(Settings settings, SwarmState swarm, ManagerControl managers) {
        this.settings = settings;
        this.swarm = swarm;
        this.managers = managers;
        this.dockerd = Backend.unix("dockerd", settings.dockerSocket());
        this.gateway = Backend.fromUrl("api-gateway", settings.gatewayUrl());
        this.identity = new NodeIdentity(settings.dataDir() != null ? settings.dataDir()
                : Path.of(System.getProperty("java.io.tmpdir"), "flotilla-node"));
        this.channels = settings.grpcPlaintext() ? ManagerChannels.plaintext() : ManagerChannels.tls(identity);
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "engine-api-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    // ---------------------------------------------------------------- listening

    /** Binds the listen address and starts accepting. Returns the bound address (a port for tcp://). */
    public String start() throws IOException {
        String listen = settings.listen().trim();
        ServerSocketChannel ch;
        String bound;
        if (listen.startsWith("unix://")) {
            Path path = Path.of(listen.substring("unix://".length()));
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            Files.deleteIfExists(path);
            ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ch.bind(UnixDomainSocketAddress.of(path));
            bound = "unix://" + path;
        } else {
            InetSocketAddress addr = parseTcp(listen);
            ch = ServerSocketChannel.open();
            ch.socket().setReuseAddress(true);
            ch.bind(addr, 128);
            InetSocketAddress local = (InetSocketAddress) ch.getLocalAddress();
            bound = "tcp://" + local.getHostString() + ":" + local.getPort();
            if (!addr.getAddress().isLoopbackAddress()) {
                LOG.warnf("Binding to IP address without --tlsverify is insecure and gives root access on this "
                        + "machine to everyone who has access to your network. host=\"%s\"", bound);
            }
        }
        server = ch;
        Thread acceptor = new Thread(this::acceptLoop, "engine-api-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return bound;
    }

    static InetSocketAddress parseTcp(String listen) {
        String s = listen.startsWith("tcp://") ? listen.substring("tcp://".length()) : listen;
        URI u = URI.create("tcp://" + (s.startsWith(":") ? "0.0.0.0" + s : s));
        String host = u.getHost() == null ? "0.0.0.0" : u.getHost();
        int port = u.getPort() < 0 ? 2375 : u.getPort();
        return new InetSocketAddress(host, port);
    }

    public int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel c = server.accept();
                if (c.getRemoteAddress() instanceof InetSocketAddress) {
                    c.socket().setTcpNoDelay(true);
                }
                pool.execute(() -> serve(c));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    LOG.warnf("accept failed: %s", e.getMessage());
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        pool.shutdownNow();
        gatewayIdle.closeAll();
    }

    /** Idle kept-alive connections to the gateway (tests). */
    int idleGatewayConnections() {
        return gatewayIdle.size();
    }

    // ---------------------------------------------------------------- one client connection

    private void serve(SocketChannel channel) {
        try (Wire client = new Wire(channel)) {
            boolean keep = true;
            while (keep) {
                HttpHead req;
                try {
                    byte[] raw = client.readHead();
                    if (raw == null) {
                        return;
                    }
                    req = HttpHead.parse(raw);
                } catch (HttpProtocolException e) {
                    client.write(Responses.error(e.status, e.getMessage()).render(false, true));
                    return;
                }
                boolean clientCloses = req.closes(req.requestVersion());
                try {
                    keep = handle(req, client, clientCloses) && !clientCloses;
                } catch (HttpProtocolException e) {
                    client.write(Responses.error(e.status, e.getMessage()).render(false, true));
                    return;
                }
            }
        } catch (IOException e) {
            LOG.debugf("client connection ended: %s", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warnf(e, "client connection failed");
        }
    }

    /** Answers one request; true when the connection can carry another. */
    private boolean handle(HttpHead req, Wire client, boolean clientCloses) throws IOException {
        String method = req.method();
        Router.Route route = Router.route(method, req.path());
        switch (route) {
            case DOCKERD:
                return proxy(req, null, client, dockerd, clientCloses);
            case MANAGERS:
                return toManagers(req, null, client, clientCloses);
            case NETWORK_CREATE: {
                byte[][] body = Bodies.readBody(req, client, MAX_LOCAL_BODY);
                if (isOverlay(body[1])) {
                    return toManagers(req, body[0], client, clientCloses);
                }
                return proxy(req, body[0], client, dockerd, clientCloses);
            }
            case NETWORK_BY_ID: {
                String id = Router.networkId(req.path());
                boolean inspect = method.equals("GET") && Router.unversioned(req.path()).equals("/networks/" + id);
                if (swarm.current().member() && !dockerdKnowsNetwork(id)) {
                    if (inspect) {
                        client.write(swarmNetwork(req, id).render(false, clientCloses));
                        return true;
                    }
                    if (swarm.current().manager()) {
                        return toManagers(req, null, client, clientCloses);
                    }
                }
                return proxy(req, null, client, dockerd, clientCloses);
            }
            default:
                break;
        }
        byte[][] body = Bodies.readBody(req, client, MAX_LOCAL_BODY);
        Responses.Response resp;
        switch (route) {
            case PING:
                resp = ping(method.equals("HEAD"));
                break;
            case VERSION:
                resp = version();
                break;
            case INFO:
                resp = info();
                break;
            case SWARM_INIT:
                resp = swarmInit(body[1]);
                break;
            case SWARM_LEAVE:
                resp = swarmLeave(req.queryParam("force"));
                break;
            case SWARM_JOIN:
                resp = swarmJoin(body[1]);
                break;
            case DISTRIBUTION:
                resp = distribution(Router.unversioned(req.path()));
                break;
            case NETWORK_LIST:
                resp = networkList(req);
                break;
            default:
                resp = Responses.error(500, "unrouted request");
        }
        client.write(resp.render(method.equals("HEAD"), clientCloses));
        return true;
    }

    private boolean toManagers(HttpHead req, byte[] rawBody, Wire client, boolean clientCloses) throws IOException {
        SwarmState.Snapshot s = swarm.current();
        if (!s.member() || !s.manager()) {
            if (rawBody == null) {
                Bodies.copyRequestBody(req, client, Bodies.Sink.DISCARD);
            }
            String msg = s.member() ? Responses.WORKER_NOT_MANAGER : Responses.NOT_IN_SWARM_MANAGER;
            client.write(Responses.error(503, msg).render(req.method().equals("HEAD"), clientCloses));
            return true;
        }
        return proxy(req, rawBody, client, gateway, clientCloses);
    }

    private static boolean isOverlay(byte[] body) {
        try {
            JsonNode n = Responses.JSON.readTree(body);
            return n != null && n.path("Driver").asText("").equals("overlay");
        } catch (IOException e) {
            return false; // dockerd answers the malformed body with its own 400
        }
    }

    /**
     * A connection to this node's api-gateway. It starts after cluster-state (swarm init, a join as a manager or a
     * promotion, an agent restart) and on a loaded host takes tens of seconds: while this node runs the manager
     * services a refused connection is tried again for a while, so the CLI's next call (swarm init asks for the
     * join tokens at once) waits for it instead of failing.
     */
    private SocketChannel connectGateway() throws IOException {
        Deadline deadline = Deadline.in(GATEWAY_START_WAIT);
        while (true) {
            try {
                return gateway.connect();
            } catch (java.net.ConnectException e) {
                if (managers.launch().isEmpty() || deadline.passed() || !deadline.pause(200)) {
                    throw e;
                }
            }
        }
    }

    private boolean dockerdKnowsNetwork(String id) {
        try {
            return MiniHttp.get(dockerd, "/v1.41/networks/" + id, 5000).status() != 404;
        } catch (IOException e) {
            return true; // dockerd's own error is the better answer
        }
    }

    // ---------------------------------------------------------------- proxying

    /** RETRY: a kept-alive connection turned out closed before any of the answer came (the request goes again). */
    private enum Outcome { KEEP, CLOSE, UPGRADED, RETRY }

    /** How many idle connections to the gateway are kept, and for how long at most. */
    static final int GATEWAY_IDLE_MAX = 4;
    static final long GATEWAY_IDLE_MS = 15_000;

    /**
     * Whether the request may go on a kept-alive connection: one that can be sent again should that connection
     * turn out closed, and whose answer is not a stream (a GET or HEAD without a body, HTTP/1.1, the client keeping
     * its own connection, no upgrade, not logs).
     */
    static boolean resendable(HttpHead req, boolean clientCloses) throws HttpProtocolException {
        String m = req.method();
        return (m.equals("GET") || m.equals("HEAD")) && !clientCloses && req.requestVersion().equals("HTTP/1.1")
                && !req.chunked() && req.contentLength() <= 0 && req.header("Upgrade") == null
                && !Router.unversioned(req.path()).endsWith("/logs");
    }

    /**
     * Sends the request to a backend and the response back as it arrives: on a connection of its own, or for the
     * gateway's GETs and HEADs ({@link #resendable}) on a kept-alive one, which goes back to {@link #gatewayIdle}
     * once the answer has been read to its end.
     * rawBody: the request body already read (as sent), or null to stream it from the client.
     */
    private boolean proxy(HttpHead req, byte[] rawBody, Wire client, Backend backend, boolean clientCloses)
            throws IOException {
        return proxy(req, rawBody, client, backend, clientCloses, true);
    }

    private boolean proxy(HttpHead req, byte[] rawBody, Wire client, Backend backend, boolean clientCloses,
                          boolean mayReuse) throws IOException {
        boolean reuse = backend == gateway && resendable(req, clientCloses);
        Wire idle = reuse && mayReuse ? gatewayIdle.take() : null;
        boolean pooled = idle != null;
        Wire back;
        if (pooled) {
            back = idle;
        } else {
            try {
                back = new Wire(backend == gateway ? connectGateway() : backend.connect());
            } catch (IOException e) {
                if (rawBody == null) {
                    Bodies.copyRequestBody(req, client, Bodies.Sink.DISCARD);
                }
                String what = backend == gateway
                        ? "the swarm manager services on this node are not reachable (" + backend.describe() + "): "
                        : "cannot connect to the Docker daemon at " + backend.describe() + ": ";
                client.write(Responses.error(backend == gateway ? 503 : 502, what + e.getMessage())
                        .render(req.method().equals("HEAD"), clientCloses));
                return true;
            }
        }
        ResponsePump pump = new ResponsePump(back, client, req.method().equals("HEAD"), clientCloses, pooled);
        pool.execute(pump);
        boolean bodyOk = true;
        try {
            back.write(req.raw);
            if (rawBody != null) {
                back.write(rawBody);
            } else {
                Bodies.copyRequestBody(req, client, b -> {
                    try {
                        back.write(b);
                    } catch (IOException e) {
                        throw new BackendWriteFailed(e);
                    }
                });
            }
        } catch (BackendWriteFailed e) {
            bodyOk = false; // the backend stopped reading: its response (if any) still goes to the client
            LOG.debugf("%s stopped reading the request body: %s", backend.name(), e.getMessage());
        } catch (IOException e) {
            back.close(); // the client went away or sent a broken body; or a kept-alive connection was closed
            pump.finished.join();
            if (pooled && pump.outcome.getNow(null) == Outcome.RETRY) {
                return proxy(req, rawBody, client, backend, clientCloses, false);
            }
            throw e;
        }
        // While the answer streams (logs -f, events), watch the client: a client that goes away must not
        // leave a dockerd stream behind. Bytes it sends meanwhile stay buffered for what comes next. (Not for a
        // request on a kept-alive connection: its answer is no stream, and one that is sent again sends the client
        // nothing, so the client would not wake this thread.)
        boolean clientEnded = false;
        // (It stops at the first byte the client sends: never block on a read once the answer is complete.)
        while (!reuse && !pump.outcome.isDone() && client.buffered() == 0) {
            int n;
            try {
                n = client.fill();
            } catch (IOException e) {
                n = -1;
            }
            if (n < 0) {
                clientEnded = true;
                break;
            }
        }
        if (clientEnded && !pump.outcome.isDone()) {
            back.close();
            pump.finished.join();
            return false;
        }
        Outcome outcome = pump.outcome.join();
        if (outcome == Outcome.RETRY) {
            back.close();
            pump.finished.join();
            return proxy(req, rawBody, client, backend, clientCloses, false);
        }
        if (outcome == Outcome.UPGRADED) {
            try {
                ByteBuffer b;
                while ((b = client.take(Long.MAX_VALUE)) != null) {
                    back.write(b);
                }
            } catch (IOException e) {
                LOG.debugf("hijacked connection, client side: %s", e.getMessage());
            }
            back.shutdownOutput();
            pump.finished.join();
            back.close();
            return false;
        }
        pump.finished.join(); // the pump has stopped reading the backend's side
        if (reuse && outcome == Outcome.KEEP && pump.backendKeeps && bodyOk) {
            gatewayIdle.give(back);
        } else {
            back.close();
        }
        return outcome == Outcome.KEEP && bodyOk;
    }

    private static final class BackendWriteFailed extends IOException {
        BackendWriteFailed(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Reads the backend's response and writes it to the client as it arrives. */
    private static final class ResponsePump implements Runnable {
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        final CompletableFuture<Void> finished = new CompletableFuture<>();
        private final Wire back;
        private final Wire client;
        private final boolean headRequest;
        private final boolean clientCloses;
        /** A kept-alive connection: its end before any answer is RETRY, and nothing goes to the client. */
        private final boolean resend;
        /** The answer was read to its known end and the backend keeps the connection. */
        volatile boolean backendKeeps;

        ResponsePump(Wire back, Wire client, boolean headRequest, boolean clientCloses, boolean resend) {
            this.back = back;
            this.client = client;
            this.headRequest = headRequest;
            this.clientCloses = clientCloses;
            this.resend = resend;
        }

        @Override
        public void run() {
            boolean sentSomething = false;
            try {
                while (true) {
                    byte[] raw = back.readHead();
                    if (raw == null) {
                        throw new IOException("the backend closed the connection without answering");
                    }
                    HttpHead resp = HttpHead.parse(raw);
                    int status = resp.status();
                    sentSomething = true;
                    if (status == 101) {
                        // known as upgraded before the client can react to the 101 (stdin, half-close)
                        outcome.complete(Outcome.UPGRADED);
                        client.write(raw);
                        try {
                            Bodies.copyToEof(back, client::write);
                        } catch (IOException e) {
                            LOG.debugf("hijacked connection, backend side: %s", e.getMessage());
                            back.close();
                        }
                        client.shutdownOutput();
                        return;
                    }
                    client.write(raw);
                    if (status >= 100 && status < 200) {
                        continue;
                    }
                    boolean backendCloses = resp.closes(resp.responseVersion());
                    boolean keep = !clientCloses && !backendCloses;
                    if (headRequest || status == 204 || status == 304) {
                        // no body
                    } else if (resp.chunked()) {
                        Bodies.copyChunked(back, client::write, null);
                    } else if (resp.contentLength() >= 0) {
                        Bodies.copyFixed(back, client::write, resp.contentLength(), null);
                    } else {
                        Bodies.copyToEof(back, client::write);
                        keep = false;
                        backendCloses = true;
                    }
                    backendKeeps = !backendCloses;
                    if (!keep) {
                        client.shutdownOutput(); // the client sees the end; its thread sees the client close
                    }
                    outcome.complete(keep ? Outcome.KEEP : Outcome.CLOSE);
                    return;
                }
            } catch (IOException | RuntimeException e) {
                if (!outcome.isDone()) {
                    if (!sentSomething && resend) {
                        outcome.complete(Outcome.RETRY);
                        return;
                    }
                    if (!sentSomething) {
                        try {
                            client.write(Responses.error(502, "upstream error: " + e.getMessage())
                                    .render(headRequest, true));
                            client.shutdownOutput();
                        } catch (IOException ignored) {
                            // client gone too
                        }
                    } else {
                        client.close(); // a response cut in the middle: the client must see the connection end
                    }
                    outcome.complete(Outcome.CLOSE);
                }
            } finally {
                finished.complete(null);
            }
        }
    }

    // ---------------------------------------------------------------- local answers

    Responses.Response ping(boolean head) {
        Responses.Response r = head ? new Responses.Response(200, "text/plain; charset=utf-8", new byte[0])
                : Responses.text(200, "OK");
        r.header("Builder-Version", "1");
        r.header("Cache-Control", "no-cache, no-store, must-revalidate");
        r.header("Pragma", "no-cache");
        r.header("Swarm", SwarmInfo.pingHeader(swarm.current()));
        return r;
    }

    private Responses.Response version() {
        MiniHttp.Result r;
        try {
            r = MiniHttp.get(dockerd, "/v1.41/version", 10_000);
        } catch (IOException e) {
            return Responses.error(502, "cannot connect to the Docker daemon at " + dockerd.describe() + ": "
                    + e.getMessage());
        }
        if (r.status() != 200) {
            return passThrough(r);
        }
        try {
            ObjectNode v = (ObjectNode) Responses.JSON.readTree(r.body());
            adjustVersion(v);
            return Responses.json(200, v);
        } catch (IOException | ClassCastException e) {
            return Responses.error(502, "unexpected /version answer from dockerd: " + e.getMessage());
        }
    }

    static void adjustVersion(ObjectNode v) {
        v.put("ApiVersion", Responses.API_VERSION);
        v.put("MinAPIVersion", "1.12");
        JsonNode comps = v.path("Components");
        if (comps.isArray()) {
            for (JsonNode c : comps) {
                if (c.path("Name").asText().equals("Engine") && c.path("Details").isObject()) {
                    ((ObjectNode) c.get("Details")).put("ApiVersion", Responses.API_VERSION);
                    ((ObjectNode) c.get("Details")).put("MinAPIVersion", "1.12");
                }
            }
        }
    }

    private static Responses.Response passThrough(MiniHttp.Result r) {
        String ct = r.head().header("Content-Type");
        return new Responses.Response(r.status(), ct == null ? "application/json" : ct, r.body());
    }

    /** GET /networks: dockerd's own networks, then the swarm networks this host shows. */
    private Responses.Response networkList(HttpHead req) {
        try {
            MiniHttp.Result local = MiniHttp.get(dockerd, req.path(), 10_000);
            if (local.status() != 200 || !swarm.current().member()) {
                return passThrough(local);
            }
            List<JsonNode> swarmNets = new ArrayList<>();
            if (swarm.current().manager()) {
                MiniHttp.Result all = MiniHttp.get(gateway, req.path(), 10_000);
                if (all.status() == 200) {
                    Responses.JSON.readTree(all.body()).forEach(swarmNets::add);
                }
            } else {
                for (OverlayPlan o : networkFacts.plan().getOverlaysList()) {
                    swarmNets.add(SwarmNetworks.render(o));
                }
            }
            return Responses.json(200, SwarmNetworks.merge(Responses.JSON.readTree(local.body()), swarmNets));
        } catch (IOException e) {
            return Responses.error(502, "cannot list networks: " + e.getMessage());
        }
    }

    /** docker network inspect of a swarm network on this host: the managers' answer (or the plan's) + Containers, Peers. */
    private Responses.Response swarmNetwork(HttpHead req, String id) {
        try {
            ObjectNode network;
            if (swarm.current().manager()) {
                MiniHttp.Result r = MiniHttp.get(gateway, req.path(), 10_000);
                if (r.status() != 200) {
                    return passThrough(r);
                }
                network = (ObjectNode) Responses.JSON.readTree(r.body());
            } else {
                OverlayPlan o = SwarmNetworks.find(networkFacts.plan(), id);
                if (o == null) {
                    return Responses.error(404, "network " + id + " not found");
                }
                network = SwarmNetworks.render(o);
            }
            SwarmNetworks.addLocal(network, networkFacts, settings.node(), settings.advertiseAddr());
            return Responses.json(200, network);
        } catch (IOException | ClassCastException e) {
            return Responses.error(502, "cannot inspect network " + id + ": " + e.getMessage());
        }
    }

    /**
     * What service create asks before it pins the image: the local image's id as its digest (the executor
     * falls back to name:tag for a digest no registry gave), or Docker's "No such image" when the host has
     * none. A registry is never asked.
     */
    private Responses.Response distribution(String path) {
        String name = path.substring("/distribution/".length(), path.length() - "/json".length());
        MiniHttp.Result r;
        try {
            r = MiniHttp.get(dockerd, "/v1.41/images/" + name + "/json", 10_000);
        } catch (IOException e) {
            return Responses.error(502, "cannot connect to the Docker daemon at " + dockerd.describe() + ": "
                    + e.getMessage());
        }
        if (r.status() != 200) {
            return Responses.error(404, "No such image: " + name + " (no registry is consulted)");
        }
        try {
            JsonNode image = Responses.JSON.readTree(r.body());
            ObjectNode out = Responses.JSON.createObjectNode();
            ObjectNode d = out.putObject("Descriptor");
            d.put("mediaType", "application/vnd.docker.distribution.manifest.v2+json");
            d.put("digest", image.path("Id").asText());
            d.put("size", 0);
            ObjectNode platform = out.putArray("Platforms").addObject();
            platform.put("architecture", image.path("Architecture").asText("amd64"));
            platform.put("os", image.path("Os").asText("linux"));
            return Responses.json(200, out);
        } catch (IOException e) {
            return Responses.error(502, "unexpected image answer from dockerd: " + e.getMessage());
        }
    }

    private Responses.Response info() {
        MiniHttp.Result r;
        try {
            r = MiniHttp.get(dockerd, "/v1.41/info", 15_000);
        } catch (IOException e) {
            return Responses.error(502, "cannot connect to the Docker daemon at " + dockerd.describe() + ": "
                    + e.getMessage());
        }
        if (r.status() != 200) {
            return passThrough(r);
        }
        JsonNode docker;
        try {
            docker = Responses.JSON.readTree(r.body());
        } catch (IOException e) {
            return Responses.error(502, "unexpected /info answer from dockerd: " + e.getMessage());
        }
        SwarmState.Snapshot s = swarm.current();
        SwarmInfo.ClusterView view = SwarmInfo.ClusterView.UNKNOWN;
        if (s.manager()) {
            view = SwarmInfo.fromManagers(gatewayJson("/v1.41/nodes"), gatewayJson("/v1.41/swarm"));
        }
        String nodeAddr = managers.launch().map(Launch::advertiseAddr).orElse(settings.advertiseAddr());
        ObjectNode block = SwarmInfo.block(s, nodeAddr, view);
        return Responses.json(200, SwarmInfo.merge(docker, block, settings.node()));
    }

    private JsonNode gatewayJson(String path) {
        try {
            MiniHttp.Result r = MiniHttp.get(gateway, path, 1500);
            return r.status() == 200 ? Responses.JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private Responses.Response swarmInit(byte[] body) {
        synchronized (membershipLock) {
            SwarmState.Snapshot s = swarm.current();
            if (s.member()) {
                return Responses.error(503, Responses.ALREADY_IN_SWARM);
            }
            JsonNode req;
            try {
                req = body.length == 0 ? Responses.JSON.createObjectNode() : Responses.JSON.readTree(body);
            } catch (IOException e) {
                return Responses.error(400, "invalid JSON: " + e.getMessage());
            }
            AdvertiseAddr.Resolved addr;
            try {
                addr = AdvertiseAddr.resolve(req.path("AdvertiseAddr").asText(""), req.path("ListenAddr").asText(""),
                        settings.advertiseAddr());
            } catch (AdvertiseAddr.BadAddress e) {
                return Responses.error(400, e.getMessage());
            }
            Launch launch = new Launch(s.nodeId(), addr.host(), true);
            long t0 = System.nanoTime();
            // a node out of any swarm has no identity worth keeping: the new swarm's manager writes a new one
            identity.wipe();
            try {
                managers.start(launch);
                waitReady(settings.initTimeout());
            } catch (IOException | RuntimeException e) {
                LOG.errorf("swarm init failed: %s", e.getMessage());
                managers.stop();
                return Responses.error(500, "swarm init failed: " + e.getMessage());
            }
            // member now: the dispatcher session registers this node with the store; the CLI asks for it next
            swarm.update(new SwarmState.Snapshot(s.nodeId(), true, true, List.of(addr.hostPort())));
            waitRegistered(s.nodeId(), System.nanoTime() + settings.initTimeout().toNanos() / 2);
            LOG.infof("swarm initialized: node %s advertises %s (manager services ready in %d ms)", s.nodeId(),
                    addr.hostPort(), (System.nanoTime() - t0) / 1_000_000);
            return Responses.json(200, TextNode.valueOf(s.nodeId()));
        }
    }

    private void waitReady(Duration timeout) throws IOException {
        URI u = URI.create(settings.clusterHealthUrl());
        Backend health = Backend.fromUrl("cluster-state", u.getScheme() + "://" + u.getHost() + ":" + u.getPort());
        String path = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        Deadline deadline = Deadline.in(timeout);
        String last = "not answering";
        while (!deadline.passed()) {
            try {
                MiniHttp.Result r = MiniHttp.get(health, path, 2000);
                if (r.status() == 200) {
                    return;
                }
                last = "health " + r.status() + ": " + r.text().trim();
            } catch (IOException e) {
                last = e.getMessage();
            }
            if (!deadline.pause(250)) {
                throw new IOException("interrupted");
            }
        }
        throw new IOException("cluster-state did not become ready within " + timeout.toSeconds() + " s (" + last
                + ")");
    }

    /**
     * The CLI asks the managers for this node (GET /nodes/{id}) and the cluster (GET /swarm) right after
     * init: wait (bounded) until the gateway knows the node. Not fatal: the services are up.
     */
    private void waitRegistered(String nodeId, long deadlineNanos) {
        Deadline deadline = Deadline.atNanos(deadlineNanos);
        String last = "";
        while (!deadline.passed()) {
            try {
                MiniHttp.Result r = MiniHttp.get(gateway, "/v1.41/nodes/" + nodeId, 2000);
                if (r.status() == 200 && MiniHttp.get(gateway, "/v1.41/swarm", 2000).status() == 200) {
                    return;
                }
                last = r.status() + " " + r.text().trim();
            } catch (IOException e) {
                last = e.getMessage();
            }
            if (!deadline.pause(100)) {
                return;
            }
        }
        LOG.warnf("the api-gateway does not know node %s yet (%s); answering swarm init anyway", nodeId, last);
    }

    private void waitSession(String nodeId, Deadline deadline) {
        java.util.function.BooleanSupplier up = sessionUp;
        if (up == null) {
            return;
        }
        while (!up.getAsBoolean()) {
            if (deadline.passed() || !deadline.pause(20)) {
                LOG.warnf("joined as node %s, its session with a manager not up yet; answering the join anyway", nodeId);
                return;
            }
        }
    }

    /**
     * A node's first join is its agent's first TLS gRPC call: in a new JVM the lab's took 1.7-2.8 s, most of it
     * class loading and first runs (a node whose join had failed once before joined in 450 ms, later joins take
     * 250-300 ms). An agent that is in no swarm goes through the same steps once at its start against a closed
     * port on loopback: a key pair, the node description, the join's channel, the call refused, then the TLS
     * handshake's first step on an engine with no peer ({@link ManagerChannels#warmUpTls}). Nothing leaves the
     * host and nothing is kept.
     */
    public void warmUpJoin() {
        if (swarm.current().member()) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            NodeIdentity.newKeyPair();
            io.flotilla.contracts.v1.JoinRequest jr = io.flotilla.contracts.v1.JoinRequest.newBuilder()
                    .setToken(WARM_UP_TOKEN).setAddr("127.0.0.1")
                    .setDescription(NodeFacts.describe(settings.node(), Path.of(settings.dockerSocket()))).build();
            JoinClient.join(channels, "127.0.0.1:1", jr, 2000);
        } catch (RuntimeException expected) {
            // refused before any TLS: what the channel needs is loaded
        }
        try {
            channels.warmUpTls();
        } catch (javax.net.ssl.SSLException | RuntimeException e) {
            LOG.debugf("TLS warm-up: %s", e.toString());
        }
        LOG.infof("join path warmed up in %d ms", (System.nanoTime() - t0) / 1_000_000);
    }

    /** A join token of the right form (its digest pins no CA that exists). */
    private static final String WARM_UP_TOKEN = "SWMTKN-1-" + "0".repeat(50) + "-" + "0".repeat(25);

    /**
     * docker swarm join: Dispatcher.Join on a manager (the first of RemoteAddrs that answers) with the
     * token and this node's new public key; the manager answers the node id, its certificate, the CA and
     * the managers. The CA must match the token's digest. The identity goes to disk, a manager starts its
     * services (joining the Raft group it was told of), and the session connects.
     */
    private Responses.Response swarmJoin(byte[] body) {
        synchronized (membershipLock) {
            SwarmState.Snapshot s = swarm.current();
            if (s.member()) {
                return Responses.error(503, Responses.ALREADY_IN_SWARM);
            }
            JsonNode req;
            try {
                req = body.length == 0 ? Responses.JSON.createObjectNode() : Responses.JSON.readTree(body);
            } catch (IOException e) {
                return Responses.error(400, "invalid JSON: " + e.getMessage());
            }
            String token = req.path("JoinToken").asText("");
            List<String> remotes = new java.util.ArrayList<>();
            req.path("RemoteAddrs").forEach(r -> remotes.add(r.asText()));
            if (remotes.isEmpty()) {
                return Responses.error(400, "at least 1 RemoteAddr is required to join");
            }
            AdvertiseAddr.Resolved addr;
            try {
                addr = AdvertiseAddr.resolve(req.path("AdvertiseAddr").asText(""), req.path("ListenAddr").asText(""),
                        settings.advertiseAddr());
            } catch (AdvertiseAddr.BadAddress e) {
                return Responses.error(400, e.getMessage());
            }
            io.flotilla.contracts.v1.NodeAvailability availability = switch (req.path("Availability").asText("")) {
                case "pause" -> io.flotilla.contracts.v1.NodeAvailability.AVAILABILITY_PAUSE;
                case "drain" -> io.flotilla.contracts.v1.NodeAvailability.AVAILABILITY_DRAIN;
                default -> io.flotilla.contracts.v1.NodeAvailability.AVAILABILITY_ACTIVE;
            };
            long t0 = System.nanoTime();
            java.security.KeyPair key = NodeIdentity.newKeyPair();
            io.flotilla.contracts.v1.JoinRequest jr = io.flotilla.contracts.v1.JoinRequest.newBuilder()
                    .setToken(token).setAddr(addr.host())
                    .setPublicKeyDer(com.google.protobuf.ByteString.copyFrom(key.getPublic().getEncoded()))
                    .setDescription(NodeFacts.describe(settings.node(), Path.of(settings.dockerSocket())))
                    .setAvailability(availability).build();
            io.flotilla.contracts.v1.JoinResponse answer = null;
            String failure = "";
            for (String remote : remotes) {
                try {
                    answer = JoinClient.join(channels, remote, jr, settings.joinTimeout().toMillis());
                    break;
                } catch (ManagerChannels.InvalidToken e) {
                    // a token without the CA digest to check the manager by
                    return Responses.error(400, "rpc error: code = InvalidArgument desc = " + INVALID_TOKEN);
                } catch (io.grpc.StatusRuntimeException e) {
                    ManagerChannels.CaMismatch mismatch = causeOf(e, ManagerChannels.CaMismatch.class);
                    if (mismatch != null) {
                        return Responses.error(500, mismatch.getMessage());
                    }
                    io.grpc.Status st = e.getStatus();
                    if (st.getCode() == io.grpc.Status.Code.PERMISSION_DENIED) {
                        // Swarm's words (its CA server answers InvalidArgument)
                        return Responses.error(400, "rpc error: code = InvalidArgument desc = "
                                + (st.getDescription() == null ? INVALID_TOKEN
                                : st.getDescription()));
                    }
                    String why = st.getDescription() != null ? st.getDescription() : st.getCode().toString();
                    if (st.getCause() != null && st.getCause().getMessage() != null) {
                        why += ": " + st.getCause().getMessage();
                    }
                    failure = "rpc error: code = " + codeName(st.getCode()) + " desc = cannot join the swarm at "
                            + remote + ": " + why;
                    LOG.warnf("join via %s failed: %s", remote, failure);
                }
            }
            if (answer == null) {
                return Responses.error(503, failure);
            }
            try {
                java.security.cert.X509Certificate ca = NodeIdentity.parse(answer.getCaCertPem());
                String expected = NodeIdentity.tokenDigest(token);
                if (!expected.isEmpty() && !expected.equals(NodeIdentity.caDigest(ca))) {
                    return Responses.error(500, "remote CA does not match fingerprint. Expected: " + expected);
                }
                identity.store(key, answer.getCertificatePem(), answer.getCaCertPem());
            } catch (IOException e) {
                return Responses.error(500, "cannot keep this node's certificate: " + e.getMessage());
            }
            boolean manager = answer.getRole() == io.flotilla.contracts.v1.NodeRole.ROLE_MANAGER;
            String nodeId = answer.getNodeId();
            if (manager) {
                try {
                    managers.wipeData();
                    managers.start(new Launch(nodeId, addr.host(), false, answer.getRaftMembersList()));
                } catch (IOException | RuntimeException e) {
                    LOG.errorf("manager services did not start: %s", e.getMessage());
                    managers.stop();
                    return Responses.error(500, "joined as node " + nodeId + " but the manager services did not start: "
                            + e.getMessage());
                }
            }
            List<String> managerAddrs = answer.getManagersList().isEmpty() ? remotes : answer.getManagersList();
            swarm.update(new SwarmState.Snapshot(nodeId, true, manager, managerAddrs));
            // as Swarm's join, which returns when the node's agent has its session (the node is ready in node ls)
            waitSession(nodeId, Deadline.in(settings.joinTimeout()));
            LOG.infof("joined the swarm as %s %s in %d ms (managers %s)", manager ? "manager" : "worker", nodeId,
                    (System.nanoTime() - t0) / 1_000_000, managerAddrs);
            return new Responses.Response(200, null, new byte[0]);
        }
    }

    /** The first cause of type in t's chain, or null. */
    static <T extends Throwable> T causeOf(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String codeName(io.grpc.Status.Code c) {
        StringBuilder b = new StringBuilder();
        for (String part : c.name().split("_")) {
            b.append(part.charAt(0)).append(part.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return b.toString();
    }

    private Responses.Response swarmLeave(String force) {
        synchronized (membershipLock) {
            boolean forced = force != null && (force.equals("1") || force.equalsIgnoreCase("true"));
            SwarmState.Snapshot s = swarm.current();
            if (!s.member()) {
                return Responses.error(503, Responses.NOT_PART_OF_SWARM);
            }
            if (s.manager() && !forced) {
                return Responses.error(503, s.managers().size() <= 1 ? Responses.LEAVE_LAST_MANAGER
                        : Responses.LEAVE_MANAGER);
            }
            // out of the swarm first: a role hint still on its way from the ended session ("manager") is then
            // ignored instead of starting the manager services again while they stop (seen on the lab: a leave
            // --force of the only manager left its services restarted under the old node id, and the next init's
            // gateway read that swarm's certificate and never reached the new store)
            swarm.update(new SwarmState.Snapshot(SwarmStateProducer.newId(), false, false, List.of()));
            if (s.manager() || managers.launch().isPresent()) {
                managers.stop();
            }
            managers.wipeData();
            identity.wipe();
            LOG.infof("left the swarm (was node %s)", s.nodeId());
            return new Responses.Response(200, null, new byte[0]);
        }
    }

    /** For tests: the headers of a response as a map. */
    static Map<String, String> headersOf(Responses.Response r) {
        return r.headers;
    }
}
