package io.flotilla.dns.feed;

import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.ListResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.dns.view.Fixtures;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The feed of a dns-svc started before its node is in a swarm: it follows the store its store file names, none
 * while there is none, and another as soon as the file names another. Stores here are gRPC servers on loopback
 * that answer List with one service each; Kafka is a closed port on loopback (the feed then watches the store).
 */
class NameTableFeedTest {
    private final List<Server> servers = new ArrayList<>();
    private NameTableFeed feed;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (feed != null) {
            feed.stop(null);
        }
        servers.forEach(Server::shutdownNow);
    }

    @Test
    void followsTheStoreItsFileNamesAndNoneWithoutOne() throws Exception {
        int a = store("sa", "web");
        int b = store("sb", "db");
        Path file = dir.resolve("store");
        feed = feed(file);
        feed.start(null);

        Thread.sleep(300);
        assertEquals(0, feed.table().services(), "in no swarm: an empty table");
        assertFalse(feed.ready());

        write(file, "store=127.0.0.1:" + a + "\n");
        await(() -> feed.table().serviceId("web").isPresent(), "the first store's service");

        write(file, "store=127.0.0.1:" + b + "\n");
        await(() -> feed.table().serviceId("db").isPresent(), "the second store's service");
        assertEquals(Optional.empty(), feed.table().serviceId("web"), "the first store's names are gone");

        Files.delete(file);
        await(() -> feed.table().services() == 0, "an empty table once the file names no store");
        assertFalse(feed.ready());

        write(file, "store=127.0.0.1:" + a + "\nidentity=2\n");
        await(() -> feed.table().serviceId("web").isPresent(), "the first store again");
    }

    @Test
    void aMalformedFileIsNoStore() throws Exception {
        int a = store("sa", "web");
        Path file = dir.resolve("store");
        write(file, "store=127.0.0.1:" + a + "\n");
        feed = feed(file);
        feed.start(null);
        await(() -> feed.table().serviceId("web").isPresent(), "the store's service");
        write(file, "store=127.0.0.1\n");
        await(() -> feed.table().services() == 0, "an empty table");
    }

    private NameTableFeed feed(Path file) throws IOException {
        NameTableFeed f = new NameTableFeed();
        f.storeFile = Optional.of(file.toString());
        f.plaintext = true;
        f.certificate = "";
        f.bootstrap = "127.0.0.1:" + closedPort();
        f.enabled = true;
        // no re-read on a timer within a test: every change below is seen through the directory's watch
        f.fileRecheckMs = 600_000;
        return f;
    }

    private static void write(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            assertTrue(System.currentTimeMillis() < deadline, "not seen in 10 s: " + what);
            Thread.sleep(20);
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A store on loopback whose List answers one service (and nothing of the other kinds). */
    private int store(String serviceId, String serviceName) throws IOException {
        StoredObject service = StoredObject.newBuilder()
                .setService(Fixtures.service(serviceId, serviceName, EndpointMode.ENDPOINT_VIP)).build();
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new StoreGrpc.StoreImplBase() {
                    @Override
                    public void list(ListRequest request, StreamObserver<ListResponse> response) {
                        ListResponse.Builder r = ListResponse.newBuilder().setIndex(7);
                        if (request.getKind() == Kind.KIND_SERVICE) {
                            r.addObjects(service);
                        }
                        response.onNext(r.build());
                        response.onCompleted();
                    }
                }).build().start();
        servers.add(s);
        return s.getPort();
    }
}
