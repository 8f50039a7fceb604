package io.flotilla.agent.session;

import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.JoinRequest;
import io.flotilla.contracts.v1.JoinResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;

import java.util.concurrent.TimeUnit;

/** docker swarm join's call to a manager: Dispatcher.Join on its 2377, with a deadline. */
public final class JoinClient {
    private JoinClient() {
    }

    /** Calls Join at addr (ip[:port], port 2377 by default). Throws the gRPC status on failure. */
    public static JoinResponse join(String addr, JoinRequest request, long timeoutMs) throws StatusRuntimeException {
        ManagedChannel channel = SessionClient.channel(addr);
        try {
            return DispatcherGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
                    .join(request);
        } finally {
            channel.shutdownNow();
        }
    }
}
