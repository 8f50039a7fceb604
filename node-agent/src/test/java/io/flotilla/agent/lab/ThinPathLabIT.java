package io.flotilla.agent.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The foundation's thin path on the multi-host lab, on real parts: a swarm initialised on swarm00
 * through its Docker API endpoint, a service posted to api-gateway's native REST, committed through
 * cluster-state's Raft store, published on Kafka, turned into a task and assigned by scheduler-svc,
 * streamed by the dispatcher to swarm00's node-agent, run as a container in swarm00's dockerd, and
 * reported running through the API.
 */
class ThinPathLabIT {

    private static final String SWARM00 = "10.10.10.60";
    private static final Path REPO = Path.of(System.getProperty("flotilla.repo", "..")).toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void labUp() throws Exception {
        assertEquals("0", run(List.of("id", "-u"), 10).trim(), "the lab needs root");
        run(List.of(lab(), "down"), 120);
        String out = run(List.of(lab(), "up", "--hosts", "2"), 300);
        System.out.println(out);
    }

    @AfterAll
    static void labDown() throws Exception {
        run(List.of(lab(), "down"), 120);
    }

    @Test
    void aServicePostedToTheGatewayRunsAsAContainerOnTheLab() throws Exception {
        // the endpoint is the host's Docker API
        HttpResponse<String> ping = get("http://" + SWARM00 + ":2375/_ping");
        assertEquals(200, ping.statusCode());
        assertEquals("1.41", ping.headers().firstValue("API-Version").orElse(""));

        // docker swarm init, as the CLI sends it
        HttpResponse<String> init = post("http://" + SWARM00 + ":2375/v1.41/swarm/init",
                "{\"ListenAddr\":\"0.0.0.0:2377\",\"AdvertiseAddr\":\"ens33\",\"ForceNewCluster\":false}");
        assertEquals(200, init.statusCode(), init.body());
        String nodeId = JSON.readTree(init.body()).asText();
        assertEquals(25, nodeId.length(), "a Swarm-style node id: " + init.body());

        awaitHealthy("http://" + SWARM00 + ":9103/q/health/ready", 90);
        awaitHealthy("http://" + SWARM00 + ":9104/q/health/ready", 90);

        // a service, on the native REST API
        HttpResponse<String> created = post("http://" + SWARM00 + ":9103/flotilla/v1/services",
                "{\"name\":\"web\",\"task\":{\"container\":{\"image\":\"kalise/nodejs-web-app:latest\"}},"
                        + "\"replicated\":{\"replicas\":\"1\"}}");
        assertEquals(201, created.statusCode(), created.body());
        String serviceId = JSON.readTree(created.body()).path("id").asText();
        assertEquals(25, serviceId.length(), created.body());

        // the task reaches running on swarm00, reported through the API
        JsonNode running = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (running == null && System.nanoTime() < deadline) {
            HttpResponse<String> tasks = get("http://" + SWARM00 + ":9103/flotilla/v1/tasks?service=" + serviceId);
            if (tasks.statusCode() == 200) {
                for (JsonNode t : tasks(JSON.readTree(tasks.body()))) {
                    if ("TASK_RUNNING".equals(t.path("status").path("state").asText())) {
                        running = t;
                    }
                }
            }
            if (running == null) {
                Thread.sleep(250);
            }
        }
        if (running == null) {
            fail("no task of web running within 90 s; logs of swarm00:\n" + logs());
        }
        assertEquals(nodeId, running.path("nodeId").asText());
        String containerId = running.path("status").path("container").path("containerId").asText();
        assertTrue(!containerId.isEmpty(), "the running task names its container: " + running);

        // the container is real, in swarm00's dockerd, under Swarm's name, and serves the web app
        String names = run(List.of(lab(), "exec", "swarm00", "--", "docker", "ps", "--format", "{{.Names}}",
                "--filter", "label=com.docker.swarm.service.name=web"), 30);
        assertTrue(names.startsWith("web.1."), "container names: " + names);
        String hello = run(List.of(lab(), "exec", "swarm00", "--", "docker", "exec", names.trim(),
                "wget", "-qO-", "127.0.0.1:8080"), 30);
        assertTrue(hello.contains("Hello World! from 127.0.0.1"), hello);

        // the committed changes went out on Kafka, in index order, the service among them
        List<JsonNode> events = kafkaEvents("10.10.10.1:9092", Duration.ofSeconds(20));
        long last = 0;
        boolean sawService = false;
        for (JsonNode e : events) {
            long index = e.path("index").asLong();
            assertTrue(index >= last, "events out of index order: " + index + " after " + last);
            last = index;
            sawService |= serviceId.equals(e.path("id").asText()) && "KIND_SERVICE".equals(e.path("kind").asText());
        }
        assertTrue(sawService, "the service's creation is on flotilla.state.v1 (" + events.size() + " events)");

        // network-svc and dns-svc follow the state
        awaitHealthy("http://" + SWARM00 + ":9105/q/health/ready", 30);
        awaitHealthy("http://" + SWARM00 + ":9106/q/health/ready", 30);
    }

    private static List<JsonNode> tasks(JsonNode body) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode list = body.isArray() ? body : body.path("tasks");
        list.forEach(out::add);
        return out;
    }

    private static List<JsonNode> kafkaEvents(String bootstrap, Duration wait) throws IOException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition("flotilla.state.v1", 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + wait.toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    out.add(JSON.readTree(r.value()));
                }
            }
        }
        return out;
    }

    private static void awaitHealthy(String url, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = get(url);
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(300);
        }
        fail(url + " not healthy within " + seconds + " s: " + last);
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String url, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String lab() {
        return REPO.resolve("deploy/lab").toString();
    }

    private static String logs() {
        try {
            return run(List.of("sh", "-c", "tail -n 30 /var/log/flotilla/lab/swarm00/*.log "
                    + "/run/flotilla/lab/swarm00/logs/*.log 2>/dev/null; true"), 10);
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static String run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("lab", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s:\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                fail(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + text);
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
