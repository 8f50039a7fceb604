package io.flotilla.state.tls;

import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.JoinRequest;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.ListResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.state.ca.NodeCertificates;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manager as it runs in a swarm (TLS, the default outside tests): a new store gets its cluster and root CA
 * from this manager, which serves 2377 with a certificate of that CA and writes its node's identity files; a
 * client with those files is served, one without a certificate only Join, a plain-text one nothing.
 */
@QuarkusTest
@TestProfile(TlsEndpointTest.Tls.class)
class TlsEndpointTest {
    static final String NODE = "tlsnodetlsnodetlsnodetlsn";
    static final Path DIR = Path.of(System.getProperty("java.io.tmpdir"), "flotilla-tls-test-" + ProcessHandle.current().pid());

    public static class Tls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("flotilla.grpc.plaintext", "false",
                    "flotilla.node-id", NODE,
                    "flotilla.tls.node-cert", DIR.resolve("swarm-node.crt").toString(),
                    "flotilla.tls.node-key", DIR.resolve("swarm-node.key").toString(),
                    "flotilla.tls.node-ca", DIR.resolve("swarm-root-ca.crt").toString());
        }
    }

    @Inject
    ManagerTls tls;
    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int port;

    static Status.Code code(Supplier<?> call) {
        return assertThrows(StatusRuntimeException.class, call::get).getStatus().getCode();
    }

    @Test
    void aNewSwarmsManagerServesTlsWithItsOwnCaAndWritesItsNodesIdentity() throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!(tls.ready() && Files.exists(DIR.resolve("swarm-root-ca.crt"))) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(tls.ready(), "a server certificate within a minute");
        X509Certificate ca = tls.ca().orElseThrow();
        X509Certificate nodeCert = NodeCertificates.parseCertificate(Files.readString(DIR.resolve("swarm-node.crt")));
        nodeCert.verify(ca.getPublicKey());
        assertEquals(Optional.of(NODE), NodeCertificates.attribute(nodeCert.getSubjectX500Principal(), "CN"));
        assertEquals(Optional.of("swarm-manager"), NodeCertificates.attribute(nodeCert.getSubjectX500Principal(), "OU"));

        SslContextBuilder withCert = GrpcSslContexts.forClient().trustManager(DIR.resolve("swarm-root-ca.crt").toFile())
                .keyManager(DIR.resolve("swarm-node.crt").toFile(), DIR.resolve("swarm-node.key").toFile());
        ManagedChannel node = NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(withCert.build()).build();
        ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .sslContext(GrpcSslContexts.forClient().trustManager(ca).build()).build();
        ManagedChannel plain = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            ListResponse clusters = StoreGrpc.newBlockingStub(node).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .list(ListRequest.newBuilder().setKind(Kind.KIND_CLUSTER).build());
            assertEquals(1, clusters.getObjectsCount());
            assertEquals(ca, NodeCertificates.parseCertificate(clusters.getObjects(0).getCluster().getCaCertPem()));

            assertEquals(Status.Code.UNAUTHENTICATED, code(() -> StoreGrpc.newBlockingStub(anonymous)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).list(ListRequest.newBuilder().setKind(Kind.KIND_NODE).build())));
            // Join is answered without a certificate (here: no tokens yet, or a wrong one)
            Status.Code join = code(() -> DispatcherGrpc.newBlockingStub(anonymous).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .join(JoinRequest.newBuilder().setToken("SWMTKN-1-x-y").build()));
            assertTrue(join == Status.Code.PERMISSION_DENIED, "Join refused for its token, not its certificate: " + join);
            assertEquals(Status.Code.UNAVAILABLE, code(() -> StoreGrpc.newBlockingStub(plain)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).list(ListRequest.newBuilder().setKind(Kind.KIND_NODE).build())));
        } finally {
            node.shutdownNow();
            anonymous.shutdownNow();
            plain.shutdownNow();
        }
    }
}
