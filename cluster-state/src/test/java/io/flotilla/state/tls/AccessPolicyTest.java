package io.flotilla.state.tls;

import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.WatchRequest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Who may call what on 2377: a node acts only as itself, a worker only reads what its dns-svc needs. */
class AccessPolicyTest {

    static final Caller SELF = new Caller("self", NodeRole.ROLE_MANAGER, null);
    static final Caller OTHER_MANAGER = new Caller("m2", NodeRole.ROLE_MANAGER, null);
    static final Caller WORKER = new Caller("w1", NodeRole.ROLE_WORKER, null);
    static final Caller REMOVED = new Caller("gone", NodeRole.ROLE_MANAGER, null);

    final AccessPolicy policy = new AccessPolicy("self", Set.of("gone")::contains);

    static final String APPLY = StoreGrpc.getApplyMethod().getFullMethodName();
    static final String GET = StoreGrpc.getGetMethod().getFullMethodName();
    static final String LIST = StoreGrpc.getListMethod().getFullMethodName();
    static final String WATCH = StoreGrpc.getWatchMethod().getFullMethodName();
    static final String JOIN = DispatcherGrpc.getJoinMethod().getFullMethodName();
    static final String SESSION = DispatcherGrpc.getSessionMethod().getFullMethodName();
    static final String PLANS = DispatcherGrpc.getPublishPlansMethod().getFullMethodName();

    AccessPolicy.Verdict verdict(String method, Caller caller) {
        return policy.call(method, caller).verdict();
    }

    @Test
    void theMethodNamesAreTheGeneratedOnes() {
        assertEquals(AccessPolicy.JOIN, JOIN);
        assertEquals(AccessPolicy.SESSION, SESSION);
        assertEquals(AccessPolicy.PUBLISH_PLANS, PLANS);
        assertEquals(AccessPolicy.STORE_LIST, LIST);
        assertEquals(AccessPolicy.STORE_WATCH, WATCH);
    }

    @Test
    void joinNeedsNoCertificateAndEverythingElseDoes() {
        assertEquals(AccessPolicy.Verdict.ALLOW, verdict(JOIN, null));
        for (String m : List.of(SESSION, PLANS, APPLY, GET, LIST, WATCH, "grpc.health.v1.Health/Check")) {
            assertEquals(AccessPolicy.Verdict.UNAUTHENTICATED, verdict(m, null), m);
        }
    }

    @Test
    void aRemovedNodeIsRefusedEverythingButJoin() {
        for (String m : List.of(SESSION, PLANS, APPLY, LIST)) {
            assertEquals(AccessPolicy.Verdict.DENIED, verdict(m, REMOVED), m);
        }
        assertEquals(AccessPolicy.Verdict.ALLOW, verdict(JOIN, REMOVED));
    }

    @Test
    void aWorkerHasItsSessionAndReadsNetworksServicesAndTasksOnly() {
        assertEquals(AccessPolicy.Verdict.ALLOW, verdict(SESSION, WORKER));
        assertEquals(AccessPolicy.Verdict.DENIED, verdict(APPLY, WORKER));
        assertEquals(AccessPolicy.Verdict.DENIED, verdict(GET, WORKER));
        assertEquals(AccessPolicy.Verdict.DENIED, verdict(PLANS, WORKER));
        assertEquals(AccessPolicy.Verdict.DENIED, verdict(StoreGrpc.getAddMemberMethod().getFullMethodName(), WORKER));
        assertEquals(AccessPolicy.Verdict.CHECK_EACH_MESSAGE, verdict(LIST, WORKER));
        assertEquals(AccessPolicy.Verdict.CHECK_EACH_MESSAGE, verdict(WATCH, WORKER));
        for (Kind k : List.of(Kind.KIND_NETWORK, Kind.KIND_SERVICE, Kind.KIND_TASK)) {
            assertEquals(AccessPolicy.Verdict.ALLOW, policy.message(LIST, WORKER, ListRequest.newBuilder().setKind(k).build()).verdict());
        }
        for (Kind k : List.of(Kind.KIND_NODE, Kind.KIND_CLUSTER)) {
            assertEquals(AccessPolicy.Verdict.DENIED, policy.message(LIST, WORKER, ListRequest.newBuilder().setKind(k).build()).verdict(), k.name());
        }
        assertEquals(AccessPolicy.Verdict.ALLOW, policy.message(WATCH, WORKER, WatchRequest.newBuilder()
                .addKinds(Kind.KIND_NETWORK).addKinds(Kind.KIND_SERVICE).addKinds(Kind.KIND_TASK).build()).verdict());
        // the cluster object holds the CA's key: no worker reads it, not even in a watch of everything
        assertEquals(AccessPolicy.Verdict.DENIED, policy.message(WATCH, WORKER, WatchRequest.getDefaultInstance()).verdict());
        assertEquals(AccessPolicy.Verdict.DENIED, policy.message(WATCH, WORKER, WatchRequest.newBuilder()
                .addKinds(Kind.KIND_TASK).addKinds(Kind.KIND_CLUSTER).build()).verdict());
    }

    @Test
    void aManagerMayCallTheStoreButPublishPlansOnlyToItsOwnManager() {
        for (String m : List.of(APPLY, GET, LIST, WATCH, SESSION)) {
            assertEquals(AccessPolicy.Verdict.ALLOW, verdict(m, OTHER_MANAGER), m);
        }
        assertEquals(AccessPolicy.Verdict.ALLOW, verdict(PLANS, SELF));
        assertEquals(AccessPolicy.Verdict.DENIED, verdict(PLANS, OTHER_MANAGER));
    }
}
