package io.flotilla.contracts;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;

/**
 * The steps the services' warm-ups share (a client's first connection gone through ahead, in a new JVM, with
 * nothing leaving the host): a port on loopback that nothing listens on, and a TLS client's first handshake record.
 */
public final class ClientWarmUp {
    private ClientWarmUp() {
    }

    /** A port on loopback that nothing listens on: bound and closed again, so a connection to it is refused. */
    public static int closedLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A TLS engine of {@code context} writes its ClientHello (not sent anywhere) and is closed. */
    public static void clientHello(SslContext context) throws SSLException {
        SSLEngine engine = context.newEngine(ByteBufAllocator.DEFAULT);
        try {
            engine.beginHandshake();
            engine.wrap(ByteBuffer.allocate(0), ByteBuffer.allocate(engine.getSession().getPacketBufferSize()));
        } finally {
            engine.closeOutbound();
        }
    }
}
