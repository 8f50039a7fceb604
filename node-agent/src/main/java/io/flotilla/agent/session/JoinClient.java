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

    /**
     * Calls Join at addr (ip[:port], port 2377 by default) over TLS checked against the token's CA digest
     * ({@link ManagerChannels#join}). Throws the gRPC status on failure.
     */
    public static JoinResponse join(ManagerChannels channels, String addr, JoinRequest request, long timeoutMs)
            throws StatusRuntimeException {
        ManagedChannel channel = channels.join(addr, request.getToken());
        try {
            return DispatcherGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
                    .join(request);
        } finally {
            channel.shutdownNow();
        }
    }
}
