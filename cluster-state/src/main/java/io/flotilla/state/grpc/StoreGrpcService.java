package io.flotilla.state.grpc;

import io.flotilla.contracts.v1.AddMemberRequest;
import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.GetRequest;
import io.flotilla.contracts.v1.GetResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.ListResponse;
import io.flotilla.contracts.v1.MembersRequest;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.MembershipResponse;
import io.flotilla.contracts.v1.RemoveMemberRequest;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.state.raft.RaftMembers;
import io.flotilla.state.raft.RaftStateStore;
import io.flotilla.state.store.StateStore;
import io.flotilla.state.store.StoreException;
import io.flotilla.state.store.WatchMessage;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/** The Store API over gRPC (store.proto): decode, call the store, encode; errors become statuses. */
@GrpcService
public class StoreGrpcService extends StoreGrpc.StoreImplBase {

    @Inject
    RaftStateStore store;

    @Override
    public void apply(ApplyRequest request, StreamObserver<ApplyResponse> out) {
        reply(store.apply(request), Function.identity(), out);
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> out) {
        try {
            requireKind(request.getKind());
            if (request.getId().isEmpty()) {
                throw new StoreException(StoreException.Reason.INVALID_ARGUMENT, "get needs an id");
            }
            CompletionStage<Long> barrier = request.getLinearizable() ? store.readBarrier()
                    : java.util.concurrent.CompletableFuture.completedFuture(0L);
            reply(barrier, i -> store.get(request.getKind(), request.getId())
                    .map(o -> GetResponse.newBuilder().setObject(o).setIndex(store.index()).build())
                    .orElseThrow(() -> new StoreException(StoreException.Reason.NOT_FOUND,
                            kindName(request.getKind()) + " " + request.getId() + " not found")), out);
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    @Override
    public void list(ListRequest request, StreamObserver<ListResponse> out) {
        try {
            requireKind(request.getKind());
            CompletionStage<Long> barrier = request.getLinearizable() ? store.readBarrier()
                    : java.util.concurrent.CompletableFuture.completedFuture(0L);
            reply(barrier, i -> {
                StateStore.Listing l = store.listing(request.getKind(), request.getFiltersMap());
                return ListResponse.newBuilder().addAllObjects(l.objects()).setIndex(l.index()).build();
            }, out);
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    /**
     * Watch sends each change's bytes encoded once for all watchers, Apply puts the request's bytes as they came
     * in the Raft log entry ({@link ByteLevelStore}).
     */
    @Override
    public ServerServiceDefinition bindService() {
        return ByteLevelStore.rebind(super.bindService(), (request, out) -> watch(request, out, m -> m), (request, out) -> {
            ByteLevelStore.RawApply raw = (ByteLevelStore.RawApply) request;
            reply(store.apply(raw.request(), raw.bytes()), Function.identity(), out);
        });
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<WatchResponse> out) {
        watch(request, out, WatchMessage::message);
    }

    /** A watch whose messages are sent as {@code form} makes them (the shared message or its WatchResponse). */
    private <T> void watch(WatchRequest request, StreamObserver<T> out, Function<WatchMessage, T> form) {
        Set<Kind> kinds = EnumSet.noneOf(Kind.class);
        try {
            for (Kind k : request.getKindsList()) {
                requireKind(k);
                kinds.add(k);
            }
            ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) out;
            StateStore.Watch w = store.watchMessages(kinds, request.getFromIndex(), msg -> {
                synchronized (call) {
                    if (!call.isCancelled()) {
                        call.onNext(form.apply(msg));
                    }
                }
            }, error -> {
                synchronized (call) {
                    if (!call.isCancelled()) {
                        call.onError(status(error));
                    }
                }
            });
            call.setOnCancelHandler(w::close);
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    @Override
    public void members(MembersRequest request, StreamObserver<MembersResponse> out) {
        try {
            out.onNext(RaftMembers.describe(store.node()));
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    @Override
    public void addMember(AddMemberRequest request, StreamObserver<MembershipResponse> out) {
        try {
            reply(RaftMembers.add(store.node(), request.getRaftId(), request.getAddr()), Function.identity(), out);
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    @Override
    public void removeMember(RemoveMemberRequest request, StreamObserver<MembershipResponse> out) {
        try {
            reply(RaftMembers.remove(store.node(), request.getRaftId()), Function.identity(), out);
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    private static <T, R> void reply(CompletionStage<T> stage, Function<T, R> map, StreamObserver<R> out) {
        stage.whenComplete((v, error) -> {
            if (error != null) {
                out.onError(status(error));
                return;
            }
            R r;
            try {
                r = map.apply(v);
            } catch (RuntimeException e) {
                out.onError(status(e));
                return;
            }
            out.onNext(r);
            out.onCompleted();
        });
    }

    private static void requireKind(Kind k) {
        if (k == Kind.KIND_UNSPECIFIED || k == Kind.UNRECOGNIZED) {
            throw new StoreException(StoreException.Reason.INVALID_ARGUMENT, "unknown object kind " + k);
        }
    }

    private static String kindName(Kind k) {
        return k.name().substring("KIND_".length()).toLowerCase();
    }

    static StatusRuntimeException status(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (e instanceof StoreException se) {
            Status s;
            switch (se.reason()) {
                case INVALID_ARGUMENT: s = Status.INVALID_ARGUMENT; break;
                case NOT_FOUND: s = Status.NOT_FOUND; break;
                case FAILED_PRECONDITION: s = Status.FAILED_PRECONDITION; break;
                case UNAVAILABLE: s = Status.UNAVAILABLE; break;
                case DEADLINE_EXCEEDED: s = Status.DEADLINE_EXCEEDED; break;
                default: s = Status.INTERNAL; break;
            }
            return s.withDescription(se.getMessage()).asRuntimeException();
        }
        if (e instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
        }
        return Status.INTERNAL.withDescription(String.valueOf(e)).withCause(e).asRuntimeException();
    }
}
