package io.flotilla.state.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

/**
 * Enforces the {@link AccessPolicy} on every call to 2377 and puts the {@link Caller} (from the client
 * certificate the TLS handshake verified) into the call's context, where {@link #current()} reads it. With
 * plain text (tests) there are no identities: every call passes and {@link #current()} is null. Abstract: the
 * bean is {@link GlobalCallerIdentity} (Quarkus takes any concrete interceptor for one to be registered).
 */
public abstract class CallerIdentity implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(CallerIdentity.class);
    private static final Context.Key<Caller> CALLER = Context.key("flotilla-caller");

    private final AccessPolicy policy;

    /** @param policy the rules; null: plain text, no identities, nothing refused */
    protected CallerIdentity(AccessPolicy policy) {
        this.policy = policy;
    }

    /** The current call's caller, or null (plain text, or a Join without a certificate). */
    public static Caller current() {
        return CALLER.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (policy == null) {
            return next.startCall(call, headers);
        }
        String method = call.getMethodDescriptor().getFullMethodName();
        Caller caller = peer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        AccessPolicy.Decision d = policy.call(method, caller);
        switch (d.verdict()) {
            case UNAUTHENTICATED -> {
                return refuse(call, Status.UNAUTHENTICATED.withDescription(d.reason()), caller, method);
            }
            case DENIED -> {
                return refuse(call, Status.PERMISSION_DENIED.withDescription(d.reason()), caller, method);
            }
            default -> {
                // ALLOW or CHECK_EACH_MESSAGE
            }
        }
        ServerCall.Listener<Q> inner = Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
        return d.verdict() == AccessPolicy.Verdict.ALLOW ? inner : new PerMessage<>(inner, call, caller, method);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, Caller caller, String method) {
        LOG.infof("%s refused to %s: %s", method, caller == null ? "a caller without a certificate" : "node " + caller.nodeId(),
                status.getDescription());
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    /** The caller a verified TLS session names, or null (no session, no client certificate, not a node's). */
    static Caller peer(SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? Caller.of(x).orElse(null) : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /** A call allowed only for some of its messages: a refused message closes it before the service sees it. */
    private final class PerMessage<Q, R> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
        private final ServerCall<Q, R> call;
        private final Caller caller;
        private final String method;
        private boolean refused;

        PerMessage(ServerCall.Listener<Q> inner, ServerCall<Q, R> call, Caller caller, String method) {
            super(inner);
            this.call = call;
            this.caller = caller;
            this.method = method;
        }

        @Override
        public void onMessage(Q message) {
            if (refused) {
                return;
            }
            AccessPolicy.Decision d = policy.message(method, caller, message);
            if (!d.allowed()) {
                refused = true;
                refuse(call, Status.PERMISSION_DENIED.withDescription(d.reason()), caller, method);
                return;
            }
            super.onMessage(message);
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                super.onHalfClose();
            }
        }

        @Override
        public void onReady() {
            if (!refused) {
                super.onReady();
            }
        }
    }
}
