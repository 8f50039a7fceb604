package io.flotilla.agent.session;

import io.flotilla.agent.swarm.NodeIdentity;
import io.flotilla.agent.swarm.TestCa;
import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.JoinRequest;
import io.flotilla.contracts.v1.JoinResponse;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSession;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's channels to 2377: a join pinned to the token's CA digest, a session with the node's certificate. */
class ManagerChannelsTest {

    @TempDir
    Path dir;
    Server server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
        }
    }

    static String token(X509Certificate ca) {
        return "SWMTKN-1-" + NodeIdentity.caDigest(ca) + "-" + "s".repeat(25);
    }

    /** A manager answering Join (node id "joined"), telling which client certificate it saw. */
    final AtomicReference<String> clientSubject = new AtomicReference<>();

    int serve(TestCa.Issued ca, TestCa.Issued server, ClientAuth clientAuth) throws Exception {
        ServerInterceptor seeClient = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
                SSLSession s = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                try {
                    clientSubject.set(((X509Certificate) s.getPeerCertificates()[0]).getSubjectX500Principal().getName());
                } catch (Exception e) {
                    clientSubject.set("none");
                }
                return next.startCall(call, h);
            }
        };
        DispatcherGrpc.DispatcherImplBase join = new DispatcherGrpc.DispatcherImplBase() {
            @Override
            public void join(JoinRequest request, StreamObserver<JoinResponse> out) {
                out.onNext(JoinResponse.newBuilder().setNodeId("joined").build());
                out.onCompleted();
            }
        };
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(server.key().getPrivate(), server.cert(), ca.cert()))
                        .trustManager(ca.cert()).clientAuth(clientAuth).build())
                .addService(ServerInterceptors.intercept(join, seeClient)).build().start();
        return this.server.getPort();
    }

    @Test
    void aJoinTrustsTheManagerOfTheTokensCaAndNoOther() throws Exception {
        TestCa.Issued ca = TestCa.ca("swarm-ca");
        int port = serve(ca, TestCa.issue(ca, "O=c1,OU=swarm-manager,CN=m1", false), ClientAuth.OPTIONAL);
        ManagerChannels channels = ManagerChannels.tls(new NodeIdentity(dir));
        JoinRequest request = JoinRequest.newBuilder().setToken(token(ca.cert())).build();

        // the address need not be in the certificate: the pinned CA identifies the swarm
        JoinResponse r = JoinClient.join(channels, "127.0.0.1:" + port, request, 5000);
        assertEquals("joined", r.getNodeId());
        assertEquals("none", clientSubject.get(), "a joining node shows no certificate");

        TestCa.Issued other = TestCa.ca("swarm-ca");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> JoinClient.join(channels,
                "127.0.0.1:" + port, request.toBuilder().setToken(token(other.cert())).build(), 5000));
        ManagerChannels.CaMismatch mismatch = null;
        for (Throwable c = e; c != null && mismatch == null; c = c.getCause()) {
            mismatch = c instanceof ManagerChannels.CaMismatch m ? m : null;
        }
        assertNotNull(mismatch, "the cause: " + e);
        assertTrue(mismatch.getMessage().startsWith("remote CA does not match fingerprint. Expected: "));
        assertThrows(ManagerChannels.InvalidToken.class, () -> JoinClient.join(channels, "127.0.0.1:" + port,
                request.toBuilder().setToken("not-a-token").build(), 5000));
    }

    @Test
    void aJoinRefusesAServerWhoseCertificateIsNotAManagers() throws Exception {
        TestCa.Issued ca = TestCa.ca("swarm-ca");
        int port = serve(ca, TestCa.issue(ca, "O=c1,OU=swarm-worker,CN=w1", true), ClientAuth.OPTIONAL);

        assertThrows(StatusRuntimeException.class, () -> JoinClient.join(ManagerChannels.tls(new NodeIdentity(dir)),
                "127.0.0.1:" + port, JoinRequest.newBuilder().setToken(token(ca.cert())).build(), 5000));
    }

    @Test
    void aSessionChannelPresentsTheNodesCertificateAndChecksTheManagersName() throws Exception {
        TestCa.Issued ca = TestCa.ca("swarm-ca");
        NodeIdentity identity = workerIdentity(ca);
        int port = serve(ca, TestCa.issue(ca, "O=c1,OU=swarm-manager,CN=m1", true), ClientAuth.REQUIRE);

        var ch = ManagerChannels.tls(identity).session("127.0.0.1:" + port);
        try {
            DispatcherGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).join(JoinRequest.getDefaultInstance());
        } finally {
            ch.shutdownNow();
        }
        assertTrue(clientSubject.get().contains("CN=node1"), clientSubject.get());

        // a manager certificate without the address it is reached at is not accepted for a session
        stop();
        int other = serve(ca, TestCa.issue(ca, "O=c1,OU=swarm-manager,CN=m2", false), ClientAuth.REQUIRE);
        var ch2 = ManagerChannels.tls(identity).session("127.0.0.1:" + other);
        try {
            assertThrows(StatusRuntimeException.class, () -> DispatcherGrpc.newBlockingStub(ch2)
                    .withDeadlineAfter(5, TimeUnit.SECONDS).join(JoinRequest.getDefaultInstance()));
        } finally {
            ch2.shutdownNow();
        }
    }

    @Test
    void aSessionWithAKeyFileThatIsNoPkcs8KeySaysSo() throws Exception {
        NodeIdentity identity = workerIdentity(TestCa.ca("swarm-ca"));
        java.nio.file.Files.writeString(identity.keyPath(), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ManagerChannels.tls(identity).session("127.0.0.1:1"));
        assertTrue(e.getMessage().contains("cannot use this node's certificate") && e.getMessage().contains("PKCS#8"),
                e.getMessage());
    }

    /** Node node1's identity as a worker of ca's swarm, stored in the test's directory. */
    private NodeIdentity workerIdentity(TestCa.Issued ca) throws Exception {
        TestCa.Issued node = TestCa.issue(ca, "O=c1,OU=swarm-worker,CN=node1", false);
        NodeIdentity identity = new NodeIdentity(dir);
        identity.store(node.key(), node.certPem(), ca.certPem());
        return identity;
    }
}
