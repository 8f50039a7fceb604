package io.flotilla.gateway.rest;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends the gateway, over loopback, the requests of the walkthrough's first commands, none of which changes
 * anything: a service create the validation refuses at its last check (two ports published on one port), so the
 * whole body is read and mapped, and the reads that {@code service ls}, {@code service ps} and
 * {@code service inspect} make. A fresh gateway paid for loading and first running that code inside the user's
 * first {@code docker service create}: on the lab right after {@code swarm init}, the service was stored 563 ms
 * after the command started (70-100 ms once warm) and the first two list calls took 1.3 s together.
 */
final class WarmUp {
    private static final Logger LOG = Logger.getLogger(WarmUp.class);
    /** The name of the service the warm-up asks about, which no service can have once created (it is refused). */
    static final String NAME = "flotilla-warm-up";

    /** The 28.x CLI's body for a create with the walkthrough's flags, refused by the last check of the validation. */
    static final String REFUSED_CREATE = """
            {"Name":"flotilla-warm-up","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":\
            "flotilla-warm-up.invalid/none:none@sha256:0000000000000000000000000000000000000000000000000000000000000000",\
            "Env":["WARM=up"],"Init":false,"StopGracePeriod":10000000000,"DNSConfig":{},"Isolation":"default"},\
            "Resources":{"Limits":{"NanoCPUs":500000000,"MemoryBytes":67108864},"Reservations":{}},\
            "RestartPolicy":{"Condition":"any","Delay":5000000000,"MaxAttempts":0},\
            "Placement":{"Constraints":["node.role==worker","node.labels.zone!=b"]},\
            "Networks":[{"Target":"flotilla-warm-up"}],"ForceUpdate":0,"Runtime":"container"},\
            "Mode":{"Replicated":{"Replicas":1}},\
            "UpdateConfig":{"Parallelism":1,"Delay":1000000000,"FailureAction":"pause","Monitor":5000000000,\
            "MaxFailureRatio":0,"Order":"stop-first"},\
            "RollbackConfig":{"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,\
            "Order":"stop-first"},\
            "EndpointSpec":{"Mode":"vip","Ports":[\
            {"Protocol":"tcp","TargetPort":8080,"PublishedPort":8080,"PublishMode":"ingress"},\
            {"Protocol":"tcp","TargetPort":8081,"PublishedPort":8080,"PublishMode":"ingress"}]}}""";

    /** One request and the status it got (-1: no answer). */
    record Answer(String method, String path, int status) {
    }

    private WarmUp() {
    }

    /** Sends the requests to the gateway at base (http://127.0.0.1:port); what came back, in order. */
    static List<Answer> run(String base) {
        long t0 = System.nanoTime();
        List<Answer> out = new ArrayList<>();
        out.add(send(base, "POST", "/v1.41/services/create", REFUSED_CREATE));
        out.add(send(base, "GET", "/v1.41/services?status=true", null));
        out.add(send(base, "GET", "/v1.41/services/" + NAME + "?insertDefaults=true", null));
        out.add(send(base, "GET", "/v1.41/tasks?filters=%7B%22service%22%3A%7B%22" + NAME + "%22%3Atrue%7D%7D", null));
        out.add(send(base, "GET", "/v1.41/tasks", null));
        out.add(send(base, "GET", "/v1.41/nodes", null));
        LOG.infof("warmed up in %d ms: %s", (System.nanoTime() - t0) / 1_000_000, out);
        return out;
    }

    private static Answer send(String base, String method, String path, String body) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
            c.setRequestMethod(method);
            c.setConnectTimeout(5_000);
            c.setReadTimeout(10_000);
            if (body != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream o = c.getOutputStream()) {
                    o.write(body.getBytes(StandardCharsets.UTF_8));
                }
            }
            int status = c.getResponseCode();
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                if (in != null) {
                    in.readAllBytes();
                }
            }
            return new Answer(method, path, status);
        } catch (IOException | RuntimeException e) {
            LOG.debugf("warm-up %s %s: %s", method, path, e.toString());
            return new Answer(method, path, -1);
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }
}
