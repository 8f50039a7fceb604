package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.AgentMessage;
import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.Heartbeat;
import io.flotilla.contracts.v1.JoinRequest;
import io.flotilla.contracts.v1.JoinResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.ListResponse;
import io.flotilla.contracts.v1.ManagerMessage;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.PlanBatch;
import io.flotilla.contracts.v1.Register;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.state.ca.Clusters;
import io.flotilla.state.ca.NodeCertificates;
import io.flotilla.state.tls.CallerIdentity;
import io.flotilla.state.tls.GlobalCallerIdentity;
import io.flotilla.state.tls.ManagerTls;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static io.flotilla.state.dispatcher.DispatcherTest.A;
import static io.flotilla.state.dispatcher.DispatcherTest.B;
import static io.flotilla.state.dispatcher.DispatcherTest.DESC;
import static io.flotilla.state.dispatcher.DispatcherTest.await;
import static io.flotilla.state.dispatcher.PlanRelayTest.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 2377 over real TLS on loopback: the manager's certificate from the cluster CA in the store, client
 * certificates checked against that CA, and a node acting only as itself (CallerIdentity, AccessPolicy and
 * the dispatcher's Register check together).
 */
class MutualTlsTest {
    static final String SELF = "selfselfselfselfselfselfs";
    static final String WORKER_TOKEN = "SWMTKN-1-" + "1".repeat(50) + "-" + "w".repeat(25);
    static final String MANAGER_TOKEN = "SWMTKN-1-" + "1".repeat(50) + "-" + "m".repeat(25);

    FakeStateStore store;
    ScheduledExecutorService executor;
    Dispatcher dispatcher;
    ManagerTls tls;
    Server server;
    NodeCertificates.Authority root;
    X509Certificate ca;
    final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        store = new FakeStateStore();
        root = NodeCertificates.newRoot(System.currentTimeMillis());
        ca = NodeCertificates.parseCertificate(root.certPem());
        store.put(Kind.KIND_CLUSTER, "c1", StoredObject.newBuilder().setCluster(Cluster.newBuilder()
                .setMeta(Meta.newBuilder().setId("c1")).setName("default").setCaCertPem(root.certPem())
                .setCaKeyPem(root.keyPem()).setWorkerToken(WORKER_TOKEN).setManagerToken(MANAGER_TOKEN)).build());
        executor = Executors.newSingleThreadScheduledExecutor();
        dispatcher = new Dispatcher(store, new DispatcherConfig(200, 600, 10, 2, true, 10), executor, System::currentTimeMillis);
        dispatcher.membership(new Membership(store, RaftMembership.NONE, System::currentTimeMillis));
        dispatcher.start();
        tls = new ManagerTls(store, new ManagerTls.Settings(SELF, "127.0.0.1", List.of(), null, false),
                System::currentTimeMillis);
        assertTrue(tls.refresh(), "the server certificate is issued from the CA in the store");
        CallerIdentity identity = new GlobalCallerIdentity(store, SELF, false);
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).sslContext(tls.serverContext())
                .addService(ServerInterceptors.intercept(new DispatcherGrpcService(dispatcher), new CallerAddressInterceptor(), identity))
                .addService(ServerInterceptors.intercept(new ReadOnlyStore(), identity))
                .build().start();
    }

    @AfterEach
    void tearDown() throws Exception {
        channels.forEach(ManagedChannel::shutdownNow);
        server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
        dispatcher.close();
        executor.shutdownNow();
    }

    /** A node's key and certificate. */
    record Identity(KeyPair key, String certPem) {
        X509Certificate certificate() throws Exception {
            return NodeCertificates.parseCertificate(certPem);
        }
    }

    Identity node(String id, NodeRole role, NodeCertificates.Authority by) {
        KeyPair kp = NodeCertificates.newKeyPair();
        return new Identity(kp, NodeCertificates.issue(by.certPem(), by.keyPem(), kp.getPublic().getEncoded(), id, role,
                "c1", System.currentTimeMillis()));
    }

    /** TLS to the manager trusting the cluster CA, with the identity's certificate (none: null). */
    ManagedChannel channel(Identity as) throws Exception {
        SslContextBuilder b = GrpcSslContexts.forClient().trustManager(ca);
        if (as != null) {
            b.keyManager(as.key().getPrivate(), as.certificate());
        }
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).sslContext(b.build()).build();
        channels.add(ch);
        return ch;
    }

    StoreGrpc.StoreBlockingStub store(ManagedChannel ch) {
        return StoreGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    DispatcherGrpc.DispatcherBlockingStub dispatcher(ManagedChannel ch) {
        return DispatcherGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    static Status.Code code(Supplier<?> call) {
        return assertThrows(StatusRuntimeException.class, call::get).getStatus().getCode();
    }

    DispatcherGrpcServiceTest.Agent session(ManagedChannel ch, String registerAs) {
        DispatcherGrpcServiceTest.Agent agent = new DispatcherGrpcServiceTest.Agent();
        agent.out = DispatcherGrpc.newStub(ch).session(agent);
        agent.out.onNext(AgentMessage.newBuilder().setRegister(Register.newBuilder().setNodeId(registerAs)
                .setDescription(DESC).setAddr("10.0.0.1")).build());
        return agent;
    }

    @Test
    void aNewSwarmsLeaderCreatesTheCaAndIssuesItsCertificateInTheSameStep() throws Exception {
        // the step after the cluster's creation used to come 500 ms later, and a swarm init waited for it
        FakeStateStore empty = new FakeStateStore();
        ManagerTls founding = new ManagerTls(empty, new ManagerTls.Settings(SELF, "127.0.0.1", List.of(), null, true),
                System::currentTimeMillis);
        assertTrue(founding.refresh(), "ready in the step that created the cluster");
        Cluster created = Clusters.current(empty).orElseThrow();
        X509Certificate newCa = NodeCertificates.parseCertificate(created.getCaCertPem());
        founding.serverCertificate().orElseThrow().verify(newCa.getPublicKey());
        assertEquals(newCa, founding.ca().orElseThrow());
    }

    @Test
    void withoutACertificateASessionIsRefusedButAJoinIsServedAndItsCertificateOpensTheSession() throws Exception {
        ManagedChannel anonymous = channel(null);

        DispatcherGrpcServiceTest.Agent refused = session(anonymous, A);
        await("the refusal", () -> refused.error != null);
        assertEquals(Status.Code.UNAUTHENTICATED, Status.fromThrowable(refused.error).getCode());
        assertEquals(Status.Code.UNAUTHENTICATED, code(() -> store(anonymous).list(ListRequest.newBuilder()
                .setKind(Kind.KIND_NETWORK).build())));

        KeyPair key = NodeCertificates.newKeyPair();
        JoinResponse joined = dispatcher(anonymous).join(JoinRequest.newBuilder().setToken(WORKER_TOKEN).setAddr("10.0.0.7")
                .setPublicKeyDer(com.google.protobuf.ByteString.copyFrom(key.getPublic().getEncoded()))
                .setDescription(DESC).build());
        X509Certificate cert = NodeCertificates.parseCertificate(joined.getCertificatePem());
        cert.verify(ca.getPublicKey());
        assertEquals(Optional.of(joined.getNodeId()), NodeCertificates.attribute(cert.getSubjectX500Principal(), "CN"));
        assertEquals(Optional.of("swarm-worker"), NodeCertificates.attribute(cert.getSubjectX500Principal(), "OU"));
        assertEquals(Status.Code.PERMISSION_DENIED, code(() -> dispatcher(anonymous).join(JoinRequest.newBuilder()
                .setToken("SWMTKN-1-" + "1".repeat(50) + "-" + "x".repeat(25))
                .setPublicKeyDer(com.google.protobuf.ByteString.copyFrom(key.getPublic().getEncoded())).build())));

        DispatcherGrpcServiceTest.Agent agent = session(channel(new Identity(key, joined.getCertificatePem())), joined.getNodeId());
        ManagerMessage started = agent.next();
        assertEquals(joined.getNodeId(), started.getStarted().getNodeId());
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        NodeCertificates.Authority other = NodeCertificates.newRoot(System.currentTimeMillis());
        ManagedChannel foreign = channel(node(SELF, NodeRole.ROLE_MANAGER, other));

        assertEquals(Status.Code.UNAVAILABLE, code(() -> store(foreign).list(ListRequest.newBuilder()
                .setKind(Kind.KIND_NETWORK).build())));
        assertEquals(Status.Code.UNAVAILABLE, code(() -> dispatcher(foreign).publishPlans(PlanBatch.getDefaultInstance())));
        // and the same node with a certificate of this cluster's CA is served
        assertEquals(0, store(channel(node(SELF, NodeRole.ROLE_MANAGER, root))).list(ListRequest.newBuilder()
                .setKind(Kind.KIND_NETWORK).build()).getObjectsCount());
    }

    @Test
    void aSessionClaimingAnotherNodesIdIsRefused() throws Exception {
        ManagedChannel asA = channel(node(A, NodeRole.ROLE_WORKER, root));

        DispatcherGrpcServiceTest.Agent impostor = session(asA, B);

        await("the refusal", () -> impostor.error != null);
        assertEquals(Status.Code.PERMISSION_DENIED, Status.fromThrowable(impostor.error).getCode());
        assertTrue(Status.fromThrowable(impostor.error).getDescription().contains("act only as itself"));
        assertFalse(store.node(B).isPresent(), "nothing was registered for B");
        assertTrue(session(asA, A).next().hasStarted(), "A as itself is served");
    }

    @Test
    void aWorkerCertificateIsRefusedStoreWritesAndPlansButReadsWhatItsDnsNeeds() throws Exception {
        ManagedChannel worker = channel(node(A, NodeRole.ROLE_WORKER, root));

        assertEquals(Status.Code.PERMISSION_DENIED, code(() -> store(worker).apply(ApplyRequest.getDefaultInstance())));
        assertEquals(Status.Code.PERMISSION_DENIED, code(() -> store(worker).list(ListRequest.newBuilder()
                .setKind(Kind.KIND_CLUSTER).build())));
        assertEquals(Status.Code.PERMISSION_DENIED, code(() -> store(worker).watch(WatchRequest.getDefaultInstance()).next()));
        assertEquals(Status.Code.PERMISSION_DENIED, code(() -> dispatcher(worker).publishPlans(PlanBatch.newBuilder()
                .addPlans(plan(B, 1, "10.0.0.2")).build())));
        assertTrue(dispatcher.plans().latest(B).isEmpty());

        assertEquals(0, store(worker).list(ListRequest.newBuilder().setKind(Kind.KIND_TASK).build()).getObjectsCount());
        Iterator<WatchResponse> watch = store(worker).watch(WatchRequest.newBuilder().addKinds(Kind.KIND_NETWORK)
                .addKinds(Kind.KIND_SERVICE).addKinds(Kind.KIND_TASK).build());
        assertTrue(watch.next().getSnapshotComplete());

        // this manager's own node may do both
        ManagedChannel self = channel(node(SELF, NodeRole.ROLE_MANAGER, root));
        assertTrue(store(self).apply(ApplyRequest.getDefaultInstance()).getApplied());
        assertEquals(1, dispatcher(self).publishPlans(PlanBatch.newBuilder().addPlans(plan(B, 1, "10.0.0.2")).build()).getPlans());
        // another manager may use the store but not hand this manager plans
        ManagedChannel otherManager = channel(node(B, NodeRole.ROLE_MANAGER, root));
        assertTrue(store(otherManager).apply(ApplyRequest.getDefaultInstance()).getApplied());
        assertEquals(Status.Code.PERMISSION_DENIED, code(() -> dispatcher(otherManager).publishPlans(PlanBatch.getDefaultInstance())));
    }

    @Test
    void aRemovedNodesCertificateIsRefusedAfterwards() throws Exception {
        ManagedChannel manager = channel(node(B, NodeRole.ROLE_MANAGER, root));
        assertTrue(store(manager).apply(ApplyRequest.getDefaultInstance()).getApplied());
        assertTrue(session(manager, B).next().hasStarted());

        // docker node rm: the id goes on the cluster's revoked list
        Cluster c = Clusters.current(store).orElseThrow();
        store.put(Kind.KIND_CLUSTER, "c1", StoredObject.newBuilder().setCluster(c.toBuilder().addRevokedNodeIds(B)).build());

        assertEquals(Status.Code.PERMISSION_DENIED, code(() -> store(manager).apply(ApplyRequest.getDefaultInstance())));
        DispatcherGrpcServiceTest.Agent again = session(manager, B);
        await("the refusal", () -> again.error != null);
        assertEquals(Status.Code.PERMISSION_DENIED, Status.fromThrowable(again.error).getCode());
    }

    @Test
    void aPromotedNodesSessionCarriesAManagerCertificateForItsOwnKeyOnce() throws Exception {
        store.put(Kind.KIND_NODE, A, StoredObject.newBuilder().setNode(Node.newBuilder().setMeta(Meta.newBuilder().setId(A))
                .setSpec(NodeSpec.newBuilder().setDesiredRole(NodeRole.ROLE_MANAGER))).build());
        Identity worker = node(A, NodeRole.ROLE_WORKER, root);
        DispatcherGrpcServiceTest.Agent agent = session(channel(worker), A);

        ManagerMessage started = agent.next();

        assertEquals(NodeRole.ROLE_MANAGER, started.getStarted().getDesiredRole());
        X509Certificate renewed = NodeCertificates.parseCertificate(started.getStarted().getCertificatePem());
        renewed.verify(ca.getPublicKey());
        assertEquals(worker.key().getPublic(), renewed.getPublicKey());
        assertEquals(Optional.of(A), NodeCertificates.attribute(renewed.getSubjectX500Principal(), "CN"));
        assertEquals(Optional.of("swarm-manager"), NodeCertificates.attribute(renewed.getSubjectX500Principal(), "OU"));
        agent.out.onNext(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAtMs(1)).build());
        ManagerMessage next;
        do {
            next = agent.next();
        } while (!next.hasStarted());
        assertEquals("", next.getStarted().getCertificatePem(), "sent once per session");
    }

    /** A Store that answers every call with nothing: the calls that get here were let through. */
    static final class ReadOnlyStore extends StoreGrpc.StoreImplBase {
        @Override
        public void apply(ApplyRequest request, StreamObserver<ApplyResponse> out) {
            out.onNext(ApplyResponse.newBuilder().setApplied(true).build());
            out.onCompleted();
        }

        @Override
        public void list(ListRequest request, StreamObserver<ListResponse> out) {
            out.onNext(ListResponse.getDefaultInstance());
            out.onCompleted();
        }

        @Override
        public void watch(WatchRequest request, StreamObserver<WatchResponse> out) {
            out.onNext(WatchResponse.newBuilder().setSnapshotComplete(true).build());
            out.onCompleted();
        }
    }
}
