package io.flotilla.gateway.rest;

import com.sun.net.httpserver.HttpServer;
import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.ContainerStatus;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.contracts.v1.UpdateStatus;
import io.flotilla.gateway.store.InMemoryStore;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Service update (UpdateStatus as Swarm resets it) and service logs fetched from the nodes. */
@QuarkusTest
class ServiceUpdateAndLogsTest {
    @Inject
    InMemoryStore store;

    private String create(String name) {
        return given().contentType(ContentType.JSON).body(GatewayResourceTest.createBody(name, "node.role==worker"))
                .post("/v1.41/services/create").then().statusCode(201).extract().path("ID");
    }

    @Test
    void anUpdateClearsTheUpdateStatusAndARollbackStartsOne() {
        String id = create("upd");
        Service s = store.get(Kind.KIND_SERVICE, id).orElseThrow().getService();
        // the orchestrator finished an earlier update
        s = store.put(Kind.KIND_SERVICE, StoredObject.newBuilder().setService(s.toBuilder()
                .setUpdateStatus(UpdateStatus.newBuilder().setState("completed").setMessage("update completed"))).build()).getService();
        String spec = GatewayResourceTest.createBody("upd", "node.role==worker").replace("Replicas\":1", "Replicas\":3");
        given().contentType(ContentType.JSON).body(spec).post("/v1.41/services/" + id + "/update?version=" + s.getMeta().getVersion())
                .then().statusCode(200);
        given().get("/v1.41/services/" + id).then().statusCode(200)
                .body("UpdateStatus", nullValue())
                .body("Spec.Mode.Replicated.Replicas", equalTo(3))
                .body("PreviousSpec.Mode.Replicated.Replicas", equalTo(1));
        assertEquals(2, store.get(Kind.KIND_SERVICE, id).orElseThrow().getService().getSpecVersion());

        long v = store.get(Kind.KIND_SERVICE, id).orElseThrow().getService().getMeta().getVersion();
        given().contentType(ContentType.JSON).body("").post("/v1.41/services/" + id + "/update?version=" + v + "&rollback=previous")
                .then().statusCode(200);
        given().get("/v1.41/services/" + id).then().statusCode(200)
                .body("UpdateStatus.State", equalTo("rollback_started"))
                .body("UpdateStatus.Message", equalTo("manually requested rollback"))
                .body("Spec.Mode.Replicated.Replicas", equalTo(1));
    }

    @Test
    void logsNeedAStream() {
        String id = create("nostream");
        given().get("/v1.41/services/" + id + "/logs?details=1").then().statusCode(400)
                .body("message", equalTo("Bad parameters: you must choose at least one stream"));
    }

    @Test
    void serviceLogsComeFromTheNodesWithTheTaskContextAndSkipANodeThatIsGone() throws Exception {
        HttpServer node = HttpServer.create(new InetSocketAddress("127.0.0.1", 23751), 0);
        node.createContext("/containers/c-up/logs", ex -> {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] line = "Hello World!\n".getBytes(StandardCharsets.UTF_8);
            body.write(new byte[]{1, 0, 0, 0, 0, 0, 0, (byte) line.length});
            body.write(line);
            ex.sendResponseHeaders(200, body.size());
            ex.getResponseBody().write(body.toByteArray());
            ex.close();
        });
        node.start();
        try {
            String id = create("logged");
            Node up = putNode("up", "127.0.0.1");
            Node gone = putNode("gone", "127.0.0.2");      // nothing listens there
            Task t1 = putTask(id, 1, up.getMeta().getId(), "c-up");
            putTask(id, 2, gone.getMeta().getId(), "c-gone");
            long t0 = System.nanoTime();
            byte[] body = given().get("/v1.41/services/logged/logs?stdout=1&stderr=1&details=1&follow=0")
                    .then().statusCode(200).extract().asByteArray();
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000, "no hang on the node that is gone");
            ByteBuffer b = ByteBuffer.wrap(body);
            assertEquals(1, b.get());
            b.position(4);
            byte[] payload = new byte[b.getInt()];
            b.get(payload);
            assertEquals("com.docker.swarm.node.id=" + up.getMeta().getId() + ",com.docker.swarm.service.id=" + id
                    + ",com.docker.swarm.task.id=" + t1.getMeta().getId() + " Hello World!\n", new String(payload, StandardCharsets.UTF_8));
            assertEquals(0, b.remaining(), "only the reachable task's line");
        } finally {
            node.stop(0);
        }
    }

    private Node putNode(String host, String addr) {
        return store.put(Kind.KIND_NODE, StoredObject.newBuilder().setNode(Node.newBuilder()
                .setMeta(Meta.newBuilder().setCreatedAtMs(1000))
                .setDescription(NodeDescription.newBuilder().setHostname(host))
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_READY).setAddr(addr))).build()).getNode();
    }

    private Task putTask(String serviceId, int slot, String node, String container) {
        return store.put(Kind.KIND_TASK, StoredObject.newBuilder().setTask(Task.newBuilder()
                .setMeta(Meta.newBuilder().setCreatedAtMs(1000))
                .setServiceId(serviceId).setSlot(slot).setNodeId(node).setDesiredState(TaskState.TASK_RUNNING)
                .setSpec(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("busybox")))
                .setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_RUNNING)
                        .setContainer(ContainerStatus.newBuilder().setContainerId(container)))).build()).getTask();
    }
}
