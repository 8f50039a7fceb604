package io.flotilla.agent.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/** Where proxied requests go: dockerd's Unix socket or the api-gateway's TCP port. */
record Backend(String name, SocketAddress address) {

    static Backend unix(String name, String path) {
        return new Backend(name, UnixDomainSocketAddress.of(path));
    }

    /** From a URL like http://127.0.0.1:9103 (or unix:///path). */
    static Backend fromUrl(String name, String url) {
        if (url.startsWith("unix://")) {
            return unix(name, url.substring("unix://".length()));
        }
        URI u = URI.create(url);
        int port = u.getPort() > 0 ? u.getPort() : 80;
        return new Backend(name, new InetSocketAddress(u.getHost(), port));
    }

    SocketChannel connect() throws IOException {
        SocketChannel ch = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX)
                : SocketChannel.open();
        try {
            if (!(address instanceof UnixDomainSocketAddress)) {
                ch.socket().setTcpNoDelay(true);
            }
            ch.connect(address);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    String describe() {
        return address instanceof UnixDomainSocketAddress u ? "unix://" + u.getPath() : "tcp://" + address;
    }
}
