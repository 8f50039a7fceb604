package io.flotilla.state;

import org.eclipse.microprofile.config.spi.ConfigSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.Set;

/**
 * The ports of the Quarkus tests (the Raft port and the gRPC server's test port, which the store client uses):
 * free ones chosen once per test JVM, so that builds running at the same time (each developer's build dir,
 * CI) do not take each other's fixed ports. Above application.properties' {@code %test.} values.
 */
public final class TestPorts implements ConfigSource {
    private static final int RAFT = freePort();
    private static final int GRPC = freePort();
    private static final Map<String, String> PROPERTIES = Map.of(
            "%test.flotilla.raft.port", String.valueOf(RAFT),
            "%test.quarkus.grpc.server.test-port", String.valueOf(GRPC),
            "%test.quarkus.grpc.clients.store.port", String.valueOf(GRPC));

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> getProperties() {
        return PROPERTIES;
    }

    @Override
    public Set<String> getPropertyNames() {
        return PROPERTIES.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return PROPERTIES.get(propertyName);
    }

    @Override
    public String getName() {
        return "flotilla-test-ports";
    }

    @Override
    public int getOrdinal() {
        return 275;
    }
}
