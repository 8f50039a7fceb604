package io.flotilla.gateway.rest;

import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.gateway.store.InMemoryStore;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The REST layer against an in-memory store with store.proto's semantics (CAS, unique names). */
@QuarkusTest
class GatewayResourceTest {
    private static final String TOKEN = "SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}";

    @Inject
    InMemoryStore store;

    static String createBody(String name, String constraint) {
        return """
                {"Name":"%s","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"kalise/nodejs-web-app:latest"},
                 "Placement":{"Constraints":["%s"]}},"Mode":{"Replicated":{"Replicas":1}},
                 "EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":8080,"PublishedPort":80}]}}"""
                .formatted(name, constraint);
    }

    @Test
    void createServiceThroughTheVersionedPath() {
        String id = given().contentType(ContentType.JSON).body(createBody("nodejs", "node.role==worker"))
                .post("/v1.41/services/create")
                .then().statusCode(201).body("Warnings", nullValue()).body("ID", matchesPattern("[0-9a-z]{25}"))
                .extract().path("ID");
        Service stored = store.get(Kind.KIND_SERVICE, id).orElseThrow().getService();
        assertEquals("nodejs", stored.getSpec().getName());
        assertEquals(1, stored.getSpecVersion());
        assertEquals("node.role==worker", stored.getSpec().getTask().getPlacement().getConstraints(0));

        given().get("/v1.41/services/nodejs?insertDefaults=true").then().statusCode(200)
                .body("ID", equalTo(id))
                .body("Spec.Name", equalTo("nodejs"))
                .body("Spec.UpdateConfig.Parallelism", equalTo(1))
                .body("Spec.UpdateConfig.FailureAction", equalTo("pause"))
                .body("Spec.EndpointSpec.Mode", equalTo("vip"))
                .body("Spec.EndpointSpec.Ports[0].PublishedPort", equalTo(80))
                .body("Endpoint.Spec.Ports[0].TargetPort", equalTo(8080));
        // unversioned path and id prefix
        given().get("/services/" + id.substring(0, 6)).then().statusCode(200).body("ID", equalTo(id));
    }

    @Test
    void duplicateNameIs409AndWritesNothing() {
        given().contentType(ContentType.JSON).body(createBody("dup", "node.role==worker"))
                .post("/services/create").then().statusCode(201);
        int before = store.count(Kind.KIND_SERVICE);
        given().contentType(ContentType.JSON).body(createBody("dup", "node.role==worker"))
                .post("/v1.41/services/create").then().statusCode(409)
                .body("message", equalTo("rpc error: code = AlreadyExists desc = name conflicts with an existing object"));
        assertEquals(before, store.count(Kind.KIND_SERVICE));
    }

    @Test
    void badConstraintIs400AndWritesNothing() {
        int before = store.count(Kind.KIND_SERVICE);
        given().contentType(ContentType.JSON).body(createBody("badc", "node.role=worker"))
                .post("/v1.41/services/create").then().statusCode(400)
                .body("message", equalTo("rpc error: code = InvalidArgument desc = invalid constraint "
                        + "\"node.role=worker\": constraint expected one operator from ==, !="));
        given().contentType(ContentType.JSON).body(createBody("badc", "node.colour==red"))
                .post("/v1.41/services/create").then().statusCode(400);
        given().contentType(ContentType.JSON)
                .body("{\"Name\":\"neg\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x\"}},\"Mode\":{\"Replicated\":{\"Replicas\":-1}}}")
                .post("/v1.41/services/create").then().statusCode(400);
        given().contentType(ContentType.JSON)
                .body("{\"Name\":\"noimage\",\"TaskTemplate\":{\"ContainerSpec\":{}}}")
                .post("/v1.41/services/create").then().statusCode(400)
                .body("message", equalTo("rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided"));
        assertEquals(before, store.count(Kind.KIND_SERVICE));
    }

    @Test
    void serviceListCountsRunningAndDesiredTasks() {
        Node up = putNode("up-host", NodeState.NODE_READY, NodeRole.ROLE_WORKER);
        Node down = putNode("down-host", NodeState.NODE_DOWN, NodeRole.ROLE_WORKER);
        String id = given().contentType(ContentType.JSON)
                .body(createBody("counted", "node.role==worker").replace("\"Replicas\":1", "\"Replicas\":3"))
                .post("/services/create").then().statusCode(201).extract().path("ID");
        putTask(id, 1, up.getMeta().getId(), TaskState.TASK_RUNNING, TaskState.TASK_RUNNING, 1);
        putTask(id, 2, down.getMeta().getId(), TaskState.TASK_RUNNING, TaskState.TASK_RUNNING, 1);   // on a down node
        putTask(id, 3, "", TaskState.TASK_RUNNING, TaskState.TASK_PENDING, 1);
        putTask(id, 1, up.getMeta().getId(), TaskState.TASK_SHUTDOWN, TaskState.TASK_FAILED, 1);      // history

        JsonPath list = given().queryParam("filters", "{\"name\":{\"counted\":true}}").get("/v1.41/services?status=true")
                .then().statusCode(200).body("$", hasSize(1)).extract().jsonPath();
        assertEquals(1, list.getInt("[0].ServiceStatus.RunningTasks"));
        assertEquals(3, list.getInt("[0].ServiceStatus.DesiredTasks"));
        assertEquals(0, list.getInt("[0].ServiceStatus.CompletedTasks"));
        given().queryParam("filters", "{\"name\":{\"counted\":true}}").get("/v1.41/services")
                .then().statusCode(200).body("[0].ServiceStatus", nullValue());
    }

    @Test
    void tasksFilterUpToDate() {
        String id = given().contentType(ContentType.JSON).body(createBody("rolling", "node.role==worker"))
                .post("/services/create").then().statusCode(201).extract().path("ID");
        long version = store.get(Kind.KIND_SERVICE, id).orElseThrow().getService().getMeta().getVersion();
        given().contentType(ContentType.JSON).body(createBody("rolling", "node.role==manager"))
                .post("/v1.41/services/" + id + "/update?version=" + version).then().statusCode(200);
        Service updated = store.get(Kind.KIND_SERVICE, id).orElseThrow().getService();
        assertEquals(2, updated.getSpecVersion());
        assertEquals("node.role==worker", updated.getPreviousSpec().getTask().getPlacement().getConstraints(0));
        // the same version again is stale
        given().contentType(ContentType.JSON).body(createBody("rolling", "node.role==manager"))
                .post("/v1.41/services/" + id + "/update?version=" + version).then().statusCode(409)
                .body("message", equalTo("rpc error: code = Unknown desc = update out of sequence"));

        Task old = putTask(id, 1, "n1", TaskState.TASK_SHUTDOWN, TaskState.TASK_SHUTDOWN, 1);
        Task fresh = putTask(id, 1, "n1", TaskState.TASK_RUNNING, TaskState.TASK_RUNNING, 2);
        List<String> all = given().queryParam("filters", "{\"service\":{\"rolling\":true}}").get("/v1.41/tasks")
                .then().statusCode(200).extract().jsonPath().getList("ID");
        assertEquals(2, all.size());
        assertTrue(all.contains(old.getMeta().getId()));
        given().queryParam("filters", "{\"service\":{\"" + id + "\":true},\"_up-to-date\":{\"true\":true}}").get("/v1.41/tasks")
                .then().statusCode(200).body("$", hasSize(1))
                .body("[0].ID", equalTo(fresh.getMeta().getId()))
                .body("[0].Status.State", equalTo("running"))
                .body("[0].DesiredState", equalTo("running"))
                .body("[0].Slot", equalTo(1));
        given().queryParam("filters", "{\"service\":{\"rolling\":true},\"desired-state\":{\"shutdown\":true}}").get("/v1.41/tasks")
                .then().statusCode(200).body("$", hasSize(1)).body("[0].ID", equalTo(old.getMeta().getId()));
        given().get("/v1.41/tasks/" + fresh.getMeta().getId()).then().statusCode(200).body("ServiceID", equalTo(id));
        given().get("/v1.41/tasks/nosuchtask").then().statusCode(404).body("message", equalTo("task nosuchtask not found"));
    }

    @Test
    void nodeUpdateIsCompareAndSet() {
        Node n = putNode("cas-host", NodeState.NODE_READY, NodeRole.ROLE_WORKER);
        String id = n.getMeta().getId();
        long version = given().get("/v1.41/nodes/cas-host").then().statusCode(200)
                .body("Spec.Availability", equalTo("active"))
                .body("Description.Hostname", equalTo("cas-host"))
                .body("Status.State", equalTo("ready"))
                .extract().jsonPath().getLong("Version.Index");
        String pause = "{\"Role\":\"worker\",\"Availability\":\"pause\"}";
        given().contentType(ContentType.JSON).body(pause)
                .post("/v1.41/nodes/" + id + "/update?version=" + version).then().statusCode(200);
        long afterPause = given().get("/v1.41/nodes/" + id).then().statusCode(200)
                .extract().jsonPath().getLong("Version.Index");
        // a client that read the node before that spec change is out of sequence, and changes nothing
        String drain = "{\"Labels\":{\"zone\":\"a\"},\"Role\":\"worker\",\"Availability\":\"drain\"}";
        given().contentType(ContentType.JSON).body(drain)
                .post("/v1.41/nodes/" + id + "/update?version=" + version).then().statusCode(409)
                .body("message", equalTo("rpc error: code = Unknown desc = update out of sequence"));
        assertEquals(NodeAvailability.AVAILABILITY_PAUSE, store.get(Kind.KIND_NODE, id).orElseThrow().getNode().getSpec().getAvailability());
        // the managers rewrite the node's status meanwhile: a client that read it after the spec change is
        // still in sequence (docker node promote/update must not fail on a heartbeat's write)
        Node stored = store.get(Kind.KIND_NODE, id).orElseThrow().getNode();
        store.put(Kind.KIND_NODE, StoredObject.newBuilder().setNode(stored.toBuilder()
                .setStatus(stored.getStatus().toBuilder().setAddr("10.0.0.2"))).build());
        assertTrue(store.get(Kind.KIND_NODE, id).orElseThrow().getNode().getMeta().getVersion() > afterPause);
        given().contentType(ContentType.JSON).body(drain)
                .post("/v1.41/nodes/" + id + "/update?version=" + afterPause).then().statusCode(200);
        given().get("/v1.41/nodes/" + id).then().statusCode(200)
                .body("Spec.Availability", equalTo("drain")).body("Spec.Labels.zone", equalTo("a"));
        given().queryParam("filters", "{\"role\":{\"worker\":true},\"name\":{\"cas-host\":true}}").get("/v1.41/nodes")
                .then().statusCode(200).body("$", hasSize(1));
        // a Ready node is not removed without force
        given().delete("/v1.41/nodes/" + id).then().statusCode(400)
                .body("message", equalTo("rpc error: code = FailedPrecondition desc = node " + id + " is not down and can't be removed"));
        given().delete("/v1.41/nodes/" + id + "?force=true").then().statusCode(200);
        given().get("/v1.41/nodes/" + id).then().statusCode(404).body("message", equalTo("node " + id + " not found"));
        assertTrue(given().get("/swarm").then().extract().jsonPath().getString("ID") != null);
    }

    @Test
    void swarmShowsTwoTokensAndRotationChangesOnlyTheWorkerToken() {
        JsonPath swarm = given().get("/v1.41/swarm").then().statusCode(200)
                .body("Spec.Name", equalTo("default"))
                .body("Spec.Orchestration.TaskHistoryRetentionLimit", equalTo(5))
                .body("DataPathPort", equalTo(4789))
                .body("DefaultAddrPool[0]", equalTo("10.0.0.0/8"))
                .body("SubnetSize", equalTo(24))
                .body("RootRotationInProgress", equalTo(false))
                .body("TLSInfo.TrustRoot", matchesPattern("(?s)-----BEGIN CERTIFICATE-----.*"))
                .body("JoinTokens.Worker", matchesPattern(TOKEN))
                .body("JoinTokens.Manager", matchesPattern(TOKEN))
                .extract().jsonPath();
        String worker = swarm.getString("JoinTokens.Worker");
        String manager = swarm.getString("JoinTokens.Manager");
        assertNotEquals(worker, manager);
        assertEquals(worker.substring(0, 60), manager.substring(0, 60), "both carry the CA digest");
        long version = swarm.getLong("Version.Index");

        given().contentType(ContentType.JSON).body("{\"Name\":\"default\"}")
                .post("/v1.41/swarm/update?version=" + version + "&rotateWorkerToken=true&rotateManagerToken=false")
                .then().statusCode(200);
        JsonPath after = given().get("/v1.41/swarm").then().statusCode(200).extract().jsonPath();
        assertNotEquals(worker, after.getString("JoinTokens.Worker"));
        assertTrue(after.getString("JoinTokens.Worker").matches(TOKEN));
        assertEquals(manager, after.getString("JoinTokens.Manager"));
        assertEquals(1, store.count(Kind.KIND_CLUSTER));

        given().contentType(ContentType.JSON).body("{}")
                .post("/v1.41/swarm/update?version=" + version + "&rotateManagerToken=true")
                .then().statusCode(409).body("message", equalTo("rpc error: code = Unknown desc = update out of sequence"));
        assertEquals(manager, given().get("/swarm").then().extract().jsonPath().getString("JoinTokens.Manager"));
    }

    @Test
    void nativeApi() {
        String spec = "{\"name\":\"native\",\"task\":{\"container\":{\"image\":\"busybox\"}},\"replicated\":{\"replicas\":\"2\"}}";
        String id = given().contentType(ContentType.JSON).body(spec).post("/flotilla/v1/services")
                .then().statusCode(201).extract().path("id");
        given().get("/flotilla/v1/services/" + id).then().statusCode(200)
                .body("spec.name", equalTo("native")).body("spec.replicated.replicas", equalTo("2"));
        given().contentType(ContentType.JSON).body(spec).post("/flotilla/v1/services")
                .then().statusCode(409).body("message", equalTo("name conflicts with an existing object"));
        int before = store.count(Kind.KIND_SERVICE);
        given().contentType(ContentType.JSON).body("{\"name\":\"\",\"task\":{\"container\":{\"image\":\"busybox\"}}}")
                .post("/flotilla/v1/services").then().statusCode(400).body("message", equalTo("meta: name must be provided"));
        given().contentType(ContentType.JSON).body("{\"name\":\"noimg\",\"replicated\":{\"replicas\":1}}")
                .post("/flotilla/v1/services").then().statusCode(400);
        given().contentType(ContentType.JSON).body("{\"name\":\"neg\",\"task\":{\"container\":{\"image\":\"b\"}},\"replicated\":{\"replicas\":-1}}")
                .post("/flotilla/v1/services").then().statusCode(400);
        assertEquals(before, store.count(Kind.KIND_SERVICE));
        putTask(id, 1, "n9", TaskState.TASK_RUNNING, TaskState.TASK_RUNNING, 1);
        given().get("/flotilla/v1/tasks?service=native").then().statusCode(200).body("$", hasSize(1))
                .body("[0].status.state", equalTo("TASK_RUNNING"));
        given().get("/flotilla/v1/nodes").then().statusCode(200);
        given().delete("/flotilla/v1/services/" + id).then().statusCode(204);
        given().get("/flotilla/v1/services/" + id).then().statusCode(404);
    }

    private Node putNode(String host, NodeState state, NodeRole role) {
        return store.put(Kind.KIND_NODE, StoredObject.newBuilder().setNode(Node.newBuilder()
                .setMeta(Meta.newBuilder().setCreatedAtMs(1000).setUpdatedAtMs(1000))
                .setSpec(NodeSpec.newBuilder().setDesiredRole(role))
                .setRole(role)
                .setDescription(NodeDescription.newBuilder().setHostname(host).setOs("linux").setArchitecture("x86_64"))
                .setStatus(NodeStatus.newBuilder().setState(state).setAddr("10.0.0.1"))).build()).getNode();
    }

    private Task putTask(String serviceId, int slot, String node, TaskState desired, TaskState state, long specVersion) {
        return store.put(Kind.KIND_TASK, StoredObject.newBuilder().setTask(Task.newBuilder()
                .setMeta(Meta.newBuilder().setCreatedAtMs(1000).setUpdatedAtMs(2000))
                .setServiceId(serviceId).setSlot(slot).setNodeId(node).setDesiredState(desired).setSpecVersion(specVersion)
                .setSpec(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("busybox")))
                .setStatus(TaskStatus.newBuilder().setState(state).setTimestampMs(2000))).build()).getTask();
    }
}
