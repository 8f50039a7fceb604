package io.flotilla.gateway.store;

import io.flotilla.contracts.ClientWarmUp;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.gateway.ca.ClusterCa;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The store client's first use, gone through ahead of it while a gateway started at a swarm init waits for its
 * node's manager identity (1.5-2 s, the store writes it): a TLS client context with a throwaway key and certificate
 * (PEM, as the store client's channel reads the identity's files) and its ClientHello, then a Store List over a plain-text
 * gRPC channel to a port on loopback that nothing listens on (refused). Nothing leaves the host and nothing is kept.
 */
public final class StoreWarmUp {
    private static final Logger LOG = Logger.getLogger(StoreWarmUp.class);

    private StoreWarmUp() {
    }

    private static InputStream ascii(String pem) {
        return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
    }

    /** Runs the warm-up; returns its duration in ms. Failures are only logged (at debug): it is an optimisation. */
    public static long run() {
        long t0 = System.nanoTime();
        try {
            // with a key and certificate from PEM, as the store client's channel reads the identity's files: Netty
            // reads the key with BouncyCastle's parser (on this class path), whose classes' first load verifies
            // the signatures of their jars, ~1 s of CPU that came after the identity before
            ClusterCa throwaway = ClusterCa.withPkcs8Key();
            ClientWarmUp.clientHello(GrpcSslContexts.forClient()
                    .keyManager(ascii(throwaway.certPem()), ascii(throwaway.keyPem()))
                    .trustManager(ascii(throwaway.certPem())).build());
        } catch (SSLException | RuntimeException e) {
            LOG.debugf("TLS warm-up: %s", e.toString());
        }
        int closed;
        try {
            closed = ClientWarmUp.closedLoopbackPort(); // the call below is refused
        } catch (IOException e) {
            LOG.debugf("no loopback port for the gRPC warm-up: %s", e.toString());
            return (System.nanoTime() - t0) / 1_000_000;
        }
        ManagedChannel channel = NettyChannelBuilder.forAddress(InetAddress.getLoopbackAddress().getHostAddress(), closed)
                .usePlaintext().build();
        try {
            StoreGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .list(ListRequest.newBuilder().setKind(Kind.KIND_CLUSTER).build());
        } catch (StatusRuntimeException expected) {
            // refused: what was to be loaded is
        } finally {
            channel.shutdownNow();
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
