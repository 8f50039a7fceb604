package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.AgentMessage;
import io.flotilla.contracts.v1.Assignments;
import io.flotilla.contracts.v1.DispatcherGrpc;
import io.flotilla.contracts.v1.JoinRequest;
import io.flotilla.contracts.v1.JoinResponse;
import io.flotilla.contracts.v1.ManagerMessage;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.PlanAck;
import io.flotilla.contracts.v1.PlanBatch;
import io.flotilla.contracts.v1.Register;
import io.flotilla.contracts.v1.SessionStarted;
import io.flotilla.contracts.v1.Task;
import io.flotilla.state.ca.NodeCertificates;
import io.flotilla.state.tls.Caller;
import io.flotilla.state.tls.CallerIdentity;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * gRPC {@code Dispatcher.Session}: decodes the agent's messages into calls on the {@link Dispatcher}
 * and encodes its assignments. The first message must be a Register. Every Heartbeat is answered
 * with SessionStarted again (same session id, the current managers), so that an agent can tell a
 * dead manager from a quiet one. {@code PublishPlans} takes network-svc's plans into the {@link PlanRelay}
 * (from this manager's own node: its certificate, or with plain text a caller on this host, whose address the
 * {@link CallerAddressInterceptor} gives).
 *
 * <p>With TLS, the stream belongs to the node of the client certificate ({@link CallerIdentity}): a Register
 * naming another node is refused (PERMISSION_DENIED), so that its status reports, which the dispatcher applies
 * only to the registered node's own tasks, are that node's. When the certificate's role is not the node's
 * desired role (promote, demote) or it is getting old, one SessionStarted carries a renewed certificate for
 * the same key.
 */
@GrpcService
@RegisterInterceptor(CallerAddressInterceptor.class)
public class DispatcherGrpcService extends DispatcherGrpc.DispatcherImplBase {

    private static final Logger LOG = Logger.getLogger(DispatcherGrpcService.class);

    private final Dispatcher dispatcher;

    @Inject
    public DispatcherGrpcService(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    @Override
    public void join(JoinRequest request, StreamObserver<JoinResponse> out) {
        Membership m = dispatcher.membership();
        if (m == null) {
            out.onError(Status.UNAVAILABLE.withDescription("this manager takes no joins").asRuntimeException());
            return;
        }
        CompletionStage<JoinResponse> stage;
        try {
            stage = m.join(request);
        } catch (RuntimeException e) {
            stage = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((r, error) -> {
            if (error == null) {
                out.onNext(r);
                out.onCompleted();
                return;
            }
            Throwable e = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (e instanceof Membership.Denied) {
                LOG.infof("join from %s refused: %s", request.getAddr(), e.getMessage());
                out.onError(Status.PERMISSION_DENIED.withDescription(e.getMessage()).asRuntimeException());
            } else if (e instanceof IllegalArgumentException) {
                out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            } else {
                LOG.warnf("join from %s failed: %s", request.getAddr(), e.toString());
                out.onError(Status.UNAVAILABLE.withDescription("join failed: " + e.getMessage()).asRuntimeException());
            }
        });
    }

    @Override
    public void publishPlans(PlanBatch batch, StreamObserver<PlanAck> out) {
        PlanRelay relay = dispatcher.plans();
        PlanRelay.Published p;
        try {
            // with TLS the caller was checked to be this manager's own node; with plain text it must be on this host
            p = CallerIdentity.current() != null ? relay.publishVerified(batch.getPlansList(), batch.getFull())
                    : relay.publish(CallerAddressInterceptor.caller(), batch.getPlansList(), batch.getFull());
        } catch (PlanRelay.Refused e) {
            LOG.warnf("PublishPlans refused: %s", e.getMessage());
            out.onError(Status.PERMISSION_DENIED.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        if (p.changed() > 0 || p.dropped() > 0) {
            LOG.debugf("network plans: %d received (full %b), %d changed, %d dropped, %d held", batch.getPlansCount(),
                    batch.getFull(), p.changed(), p.dropped(), p.held());
        }
        out.onNext(PlanAck.newBuilder().setRelayId(relay.id()).setPlans(p.held()).build());
        out.onCompleted();
    }

    @Override
    public StreamObserver<AgentMessage> session(StreamObserver<ManagerMessage> responses) {
        return new Stream(responses);
    }

    /** One agent's stream. */
    private final class Stream implements StreamObserver<AgentMessage>, SessionSink {
        private final StreamObserver<ManagerMessage> out;
        private final Caller caller;          // the client certificate's node; null with plain text
        private NodeRole renewedAs;           // guarded by this: the role of the certificate renewed on this stream
        private boolean registering;          // guarded by this
        private boolean ended;                // guarded by this
        private Dispatcher.Session session;   // guarded by this

        Stream(StreamObserver<ManagerMessage> out) {
            this.out = out;
            this.caller = CallerIdentity.current();
        }

        @Override
        public void onNext(AgentMessage message) {
            switch (message.getMsgCase()) {
                case REGISTER -> register(message.getRegister());
                case HEARTBEAT -> heartbeat(message.getHeartbeat().getSentAtMs());
                case STATUS -> {
                    Dispatcher.Session s = current();
                    if (s == null) {
                        fail(Status.FAILED_PRECONDITION.withDescription("the first message must be Register"));
                    } else {
                        s.report(message.getStatus().getUpdatesList());
                    }
                }
                default -> fail(Status.INVALID_ARGUMENT.withDescription("empty agent message"));
            }
        }

        private void register(Register r) {
            if (caller != null && !caller.nodeId().equals(r.getNodeId())) {
                LOG.warnf("node %s registering as node %s: refused", caller.nodeId(), r.getNodeId());
                fail(Status.PERMISSION_DENIED.withDescription("this certificate is node " + caller.nodeId()
                        + "'s, not node " + r.getNodeId() + "'s: a node can act only as itself"));
                return;
            }
            synchronized (this) {
                if (registering || session != null) {
                    LOG.warnf("node %s: a second Register on one stream, ignored", r.getNodeId());
                    return;
                }
                registering = true;
            }
            dispatcher.register(r.getNodeId(), r.getDescription(), r.getAddr(), this).whenComplete((s, error) -> {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                if (cause instanceof Membership.Denied) {
                    LOG.infof("node %s: session refused: %s", r.getNodeId(), cause.getMessage());
                    fail(Status.PERMISSION_DENIED.withDescription(cause.getMessage()));
                    return;
                }
                if (error != null) {
                    LOG.warnf("node %s: registration failed: %s", r.getNodeId(), error.getMessage());
                    fail(Status.UNAVAILABLE.withDescription("registration failed: " + error.getMessage()));
                    return;
                }
                synchronized (this) {
                    if (ended) {
                        s.close();
                        return;
                    }
                    session = s;
                    out.onNext(started(s));
                }
                LOG.infof("node %s (%s, %s) registered, session %s", r.getNodeId(), r.getDescription().getHostname(),
                        r.getAddr(), s.id());
                s.start();
            });
        }

        private void heartbeat(long sentAtMs) {
            Dispatcher.Session s = current();
            if (s == null) {
                synchronized (this) {
                    if (registering) {
                        return; // a heartbeat racing the registration's write
                    }
                }
                fail(Status.FAILED_PRECONDITION.withDescription("the first message must be Register"));
                return;
            }
            if (s.revoked()) {
                LOG.infof("node %s was removed from the swarm: ending its session", s.nodeId());
                fail(Status.PERMISSION_DENIED.withDescription("node " + s.nodeId() + " was removed from the swarm"));
                return;
            }
            s.heartbeat(sentAtMs);
            send(started(s));
        }

        private ManagerMessage started(Dispatcher.Session s) {
            SessionStarted.Builder b = SessionStarted.newBuilder()
                    .setSessionId(s.id()).setNodeId(s.nodeId()).setHeartbeatPeriodMs(s.heartbeatPeriodMs())
                    .addAllManagers(s.managers());
            Membership m = dispatcher.membership();
            if (m != null) {
                Optional<NodeRole> desired = m.desiredRole(s.nodeId());
                desired.ifPresent(b::setDesiredRole);
                b.addAllRaftMembers(m.raftMembers());
                desired.flatMap(role -> renewal(m, s.nodeId(), role)).ifPresent(b::setCertificatePem);
            }
            return ManagerMessage.newBuilder().setStarted(b).build();
        }

        /** A renewed certificate for the caller's key when its role or age calls for one, once per role and stream. */
        private Optional<String> renewal(Membership m, String nodeId, NodeRole desired) {
            if (caller == null) {
                return Optional.empty();
            }
            synchronized (this) {
                if (desired == renewedAs
                        || !NodeCertificates.needsRenewal(caller.certificate(), desired, System.currentTimeMillis())) {
                    return Optional.empty();
                }
                renewedAs = desired;
            }
            try {
                return Optional.of(m.renew(nodeId, caller.certificate().getPublicKey().getEncoded(), desired));
            } catch (RuntimeException e) {
                LOG.warnf("node %s: certificate not renewed: %s", nodeId, e.getMessage());
                return Optional.empty();
            }
        }

        private synchronized Dispatcher.Session current() {
            return session;
        }

        @Override
        public void assignments(List<Task> tasks, long index) {
            send(ManagerMessage.newBuilder().setAssignments(Assignments.newBuilder().addAllTasks(tasks).setIndex(index)).build());
        }

        @Override
        public void networkPlan(NetworkPlan plan) {
            send(ManagerMessage.newBuilder().setNetworkPlan(plan).build());
        }

        @Override
        public void replaced() {
            fail(Status.ABORTED.withDescription("replaced by a newer session of this node"));
        }

        private synchronized void send(ManagerMessage m) {
            if (ended) {
                return;
            }
            try {
                out.onNext(m);
            } catch (RuntimeException e) {
                LOG.debugf("session send failed: %s", e.getMessage());
                endLocked();
            }
        }

        private synchronized void fail(Status status) {
            if (ended) {
                return;
            }
            endLocked();
            try {
                out.onError(status.asRuntimeException());
            } catch (RuntimeException ignored) {
                // the stream is gone already
            }
        }

        private void endLocked() {
            ended = true;
            if (session != null) {
                session.close();
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            if (session != null) {
                LOG.infof("node %s: session %s broke: %s", session.nodeId(), session.id(), Status.fromThrowable(t).getCode());
            }
            endLocked();
        }

        @Override
        public synchronized void onCompleted() {
            if (!ended) {
                endLocked();
                try {
                    out.onCompleted();
                } catch (RuntimeException ignored) {
                    // the stream is gone already
                }
            }
        }
    }
}
