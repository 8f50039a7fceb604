package io.flotilla.gateway.rest;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.gateway.store.InMemoryStore;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** /networks against the in-memory store (CAS, unique names). */
@QuarkusTest
class NetworkResourceTest {
    @Inject
    InMemoryStore store;

    static String body(String name, String subnet) {
        return """
                {"Name":"%s","Driver":"overlay","Attachable":true,"IPAM":{"Driver":"default","Config":[{"Subnet":"%s"}]},
                 "Labels":{"a":"b"}}""".formatted(name, subnet);
    }

    @Test
    void createInspectListRemove() {
        String id = given().contentType(ContentType.JSON).body(body("nw-internal", "172.30.0.0/24"))
                .post("/v1.41/networks/create").then().statusCode(201)
                .body("Id", matchesPattern("[0-9a-z]{25}")).body("Warning", equalTo("")).extract().path("Id");
        given().get("/v1.41/networks/nw-internal").then().statusCode(200)
                .body("Id", equalTo(id)).body("Scope", equalTo("swarm")).body("Driver", equalTo("overlay"))
                .body("Attachable", equalTo(true)).body("Containers", nullValue())
                .body("IPAM.Config[0].Subnet", equalTo("172.30.0.0/24")).body("Labels.a", equalTo("b"));
        given().get("/networks/" + id.substring(0, 5)).then().statusCode(200).body("Name", equalTo("nw-internal"));
        given().queryParam("filters", "{\"name\":{\"nw-internal\":true}}").get("/networks").then().statusCode(200)
                .body("size()", equalTo(1)).body("[0].Id", equalTo(id));

        // same name: Docker's 409
        given().contentType(ContentType.JSON).body(body("nw-internal", "172.31.0.0/24")).post("/networks/create")
                .then().statusCode(409).body("message", equalTo("network with name nw-internal already exists"));
        // overlapping subnet
        given().contentType(ContentType.JSON).body(body("nw-overlap", "172.30.0.0/16")).post("/networks/create")
                .then().statusCode(403).body("message", equalTo("invalid pool request: Pool overlaps with other one on this address space"));

        // in use by a service: refused with swarmkit's words
        Service s = Service.newBuilder().setMeta(Meta.newBuilder())
                .setSpec(ServiceSpec.newBuilder().setName("nw-user").setTask(TaskSpec.newBuilder()
                        .addNetworks(NetworkAttachmentConfig.newBuilder().setTarget(id)))).build();
        String sid = store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_CREATE)
                .setKind(Kind.KIND_SERVICE).setObject(StoredObject.newBuilder().setService(s))).build()).getOutcomes(0).getId();
        given().delete("/networks/nw-internal").then().statusCode(400)
                .body("message", equalTo("rpc error: code = FailedPrecondition desc = network " + id
                        + " is in use by service " + sid));
        var stored = store.get(Kind.KIND_SERVICE, sid).orElseThrow().getService();
        store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_DELETE).setKind(Kind.KIND_SERVICE)
                .setId(sid).setExpectedVersion(stored.getMeta().getVersion())).build());
        given().delete("/networks/nw-internal").then().statusCode(204);
        assertEquals(true, store.get(Kind.KIND_NETWORK, id).isEmpty());
        given().get("/networks/nw-internal").then().statusCode(404).body("message", equalTo("network nw-internal not found"));
    }

    /** network-svc's stand-in: every new network gets {@code error} recorded on it, as network-svc writes a refusal. */
    private void refuseNewNetworks(String error) {
        store.afterApply(s -> s.list(Kind.KIND_NETWORK).stream().map(StoredObject::getNetwork)
                .filter(n -> n.getVni() == 0 && n.getAllocationError().isEmpty())
                .forEach(n -> s.put(Kind.KIND_NETWORK, StoredObject.newBuilder()
                        .setNetwork(n.toBuilder().setAllocationError(error)).build())));
    }

    @Test
    void aNetworkThatCannotBeAllocatedIsRefusedWithTheReasonAndNotCreated() {
        String noPool = "could not find an available, non-overlapping IPv4 address pool among the defaults to assign"
                + " to the network";
        refuseNewNetworks(noPool);
        try {
            given().contentType(ContentType.JSON).body("{\"Name\":\"nw-full\",\"Driver\":\"overlay\"}")
                    .post("/v1.41/networks/create").then().statusCode(403).body("message", equalTo(noPool));
            given().get("/v1.41/networks/nw-full").then().statusCode(404);
            given().queryParam("filters", "{\"name\":{\"nw-full\":true}}").get("/networks").then().statusCode(200)
                    .body("size()", equalTo(0));
            refuseNewNetworks("no VXLAN id left (4097-16777215 all in use)");
            given().contentType(ContentType.JSON).body(body("nw-novni", "172.33.0.0/24")).post("/networks/create")
                    .then().statusCode(403).body("message", equalTo("no VXLAN id left (4097-16777215 all in use)"));
            given().get("/networks/nw-novni").then().statusCode(404);
        } finally {
            store.afterApply(null);
        }
    }

    @Test
    void badRequests() {
        given().contentType(ContentType.JSON).body("{\"Name\":\"nw-b\",\"Driver\":\"bridge\"}").post("/networks/create")
                .then().statusCode(400);
        given().contentType(ContentType.JSON).body(body("nw-hostbits", "172.40.0.1/24")).post("/networks/create")
                .then().statusCode(400);
    }
}
