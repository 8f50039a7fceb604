package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.PlanAck;
import io.flotilla.contracts.v1.PlanBatch;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static io.flotilla.state.dispatcher.PlanRelayTest.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * PublishPlans on the real gRPC server: the caller-address interceptor is registered (without it every call
 * would be refused), and a local caller's plans reach the relay.
 */
@QuarkusTest
class PublishPlansTest {

    /** The dispatcher on the store client's address, as network-svc reaches it. */
    @GrpcClient("store")
    DispatcherGrpc.DispatcherBlockingStub dispatcherClient;

    @Inject
    Dispatcher dispatcher;

    @Test
    void aLocalCallersPlansReachTheRelay() {
        PlanAck ack = dispatcherClient.publishPlans(PlanBatch.newBuilder().setFull(true)
                .addPlans(plan(DispatcherTest.A, 3, "10.0.0.2")).build());

        assertEquals(dispatcher.plans().id(), ack.getRelayId());
        assertEquals(1, ack.getPlans());
        assertEquals(plan(DispatcherTest.A, 3, "10.0.0.2"), dispatcher.plans().latest(DispatcherTest.A).orElseThrow());
    }
}
