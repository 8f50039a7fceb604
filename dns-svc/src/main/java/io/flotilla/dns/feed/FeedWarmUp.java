package io.flotilla.dns.feed;

import com.google.protobuf.util.JsonFormat;
import io.flotilla.contracts.ClientWarmUp;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.dns.view.NameTable;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * What a feed's first connection does in a new JVM, done ahead while the node is in no swarm, against a closed
 * port on loopback (nothing leaves the host): a TLS client context and its first handshake record, a gRPC
 * channel and a List that is refused, a Kafka consumer that finds no broker, a state event decoded from JSON and
 * applied to a scratch table. On the lab a worker's dns-svc took ~5 s (at its priority, beside the join and the
 * first tasks' containers) from being told its store to its table loaded, mostly loading and compiling these
 * classes; done at the agent's start instead, the join leaves only the calls themselves.
 */
final class FeedWarmUp {
    private static final Logger LOG = Logger.getLogger(FeedWarmUp.class);

    private FeedWarmUp() {
    }

    static void run() {
        long t0 = System.nanoTime();
        int port;
        try {
            port = ClientWarmUp.closedLoopbackPort();
        } catch (IOException e) {
            LOG.debugf("no warm-up: %s", e.getMessage());
            return;
        }
        step("tls", FeedWarmUp::tls);
        step("grpc", () -> grpc(port));
        step("kafka", () -> kafka(port));
        step("events", FeedWarmUp::events);
        LOG.infof("feed path warmed up in %d ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void step(String name, Step s) {
        try {
            s.run();
        } catch (Exception | LinkageError e) {
            LOG.debugf("warm-up step %s: %s", name, e.toString());
        }
    }

    private static void tls() throws Exception {
        ClientWarmUp.clientHello(GrpcSslContexts.forClient().build());
    }

    private static void grpc(int port) {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            StoreGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .list(ListRequest.newBuilder().setKind(Kind.KIND_TASK).build());
        } catch (StatusRuntimeException expected) {
            // refused: the classes of a call are loaded
        } finally {
            ch.shutdownNow();
        }
    }

    private static void kafka(int port) {
        Properties props = KafkaEvents.consumerProps("127.0.0.1:" + port);
        props.put(ConsumerConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            c.beginningOffsets(List.of(new TopicPartition("flotilla.warm-up", 0)), Duration.ofMillis(300));
        } catch (KafkaException expected) {
            // no broker there
        }
    }

    private static void events() throws Exception {
        Task task = Task.newBuilder().setMeta(Meta.newBuilder().setId("warmup1").setVersion(1)).setServiceId("svc1")
                .setServiceName("warmup").setSlot(1).setNodeId("node1").setDesiredState(TaskState.TASK_RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.TASK_RUNNING))
                .addNetworks(NetworkAttachment.newBuilder().setNetworkId("net1").addAddresses("10.0.9.3/24")
                        .addAliases("warmup"))
                .build();
        StateEvent e = StateEvent.newBuilder().setKind(Kind.KIND_TASK).setId("warmup1").setVersion(1).setIndex(2)
                .setOp(Op.OP_UPDATE).setObject(StoredObject.newBuilder().setTask(task)).build();
        byte[] json = JsonFormat.printer().print(e).getBytes(StandardCharsets.UTF_8);
        NameTable scratch = new NameTable();
        scratch.load(List.of(), 1);
        new KafkaEvents("127.0.0.1:1", null).handle(null, json, 0, 1, scratch::apply);
    }
}
