package io.flotilla.gateway.store;

import io.flotilla.contracts.ClientWarmUp;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.StoreGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

/**
 * The store client's first use, gone through ahead of it while a gateway started at a swarm init waits for its
 * node's manager identity (1.5-2 s, the store writes it): a TLS client context and its ClientHello (the JDK's TLS and
 * Netty's, which the store client's channel builds from the identity's files), then a Store List over a plain-text
 * gRPC channel to a port on loopback that nothing listens on (refused). Nothing leaves the host and nothing is kept.
 */
public final class StoreWarmUp {
    private static final Logger LOG = Logger.getLogger(StoreWarmUp.class);

    private StoreWarmUp() {
    }

    /** Runs the warm-up; returns its duration in ms. Failures are only logged (at debug): it is an optimisation. */
    public static long run() {
        long t0 = System.nanoTime();
        try {
            ClientWarmUp.clientHello(GrpcSslContexts.forClient().build());
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
