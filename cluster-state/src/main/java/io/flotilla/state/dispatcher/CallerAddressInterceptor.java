package io.flotilla.state.dispatcher;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.SocketAddress;

/** Puts the caller's address into the call's context, where the Dispatcher's handlers read it ({@link #caller()}). */
@ApplicationScoped
public class CallerAddressInterceptor implements ServerInterceptor {

    private static final Context.Key<SocketAddress> CALLER = Context.key("flotilla-caller-address");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        return Contexts.interceptCall(Context.current().withValue(CALLER, remote), call, headers, next);
    }

    /** The current call's peer address, or null (no address known, or the service was not intercepted). */
    static SocketAddress caller() {
        return CALLER.get();
    }
}
