package io.flotilla.state.grpc;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.WatchRequest;
import io.flotilla.contracts.v1.WatchResponse;
import io.flotilla.state.store.WatchMessage;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Function;

/**
 * Two Store methods with marshallers that keep bytes, the wire being the same protobuf messages:
 * Watch sends the bytes of a {@link WatchMessage}, encoded once for all the watchers that get it, instead of
 * encoding the message again for each call; Apply keeps the request's bytes as they came next to the decoded
 * request ({@link RawApply}), for the Raft log entry (not encoded again after preparing).
 */
final class ByteLevelStore {
    private static final MethodDescriptor.Marshaller<WatchResponse> PROTO = ProtoUtils.marshaller(WatchResponse.getDefaultInstance());
    private static final MethodDescriptor.Marshaller<ApplyRequest> PROTO_APPLY = ProtoUtils.marshaller(ApplyRequest.getDefaultInstance());

    /** An ApplyRequest and the bytes it was decoded from. */
    record RawApply(ApplyRequest request, byte[] bytes) {
    }

    /** Decodes an ApplyRequest keeping its bytes ({@link RawApply}); encodes either form. */
    static final MethodDescriptor.Marshaller<Object> APPLY_REQUESTS = new KeepingBytes<>(PROTO_APPLY,
            v -> v instanceof RawApply r ? r.bytes() : null, ByteLevelStore::parseRaw);

    private static RawApply parseRaw(InputStream stream) {
        try {
            byte[] b = stream.readAllBytes();
            return new RawApply(ApplyRequest.parseFrom(b), b);
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
        }
    }

    static final MethodDescriptor<Object, ApplyResponse> APPLY = StoreGrpc.getApplyMethod()
            .toBuilder(APPLY_REQUESTS, StoreGrpc.getApplyMethod().getResponseMarshaller()).build();

    /** Encodes a WatchMessage as its shared bytes and anything else (a WatchResponse) as protobuf does. */
    static final MethodDescriptor.Marshaller<Object> RESPONSES = new KeepingBytes<>(PROTO,
            v -> v instanceof WatchMessage m ? m.bytes() : null, PROTO::parse);

    /** A marshaller that sends the bytes a value already has ({@code kept}; null: none), or encodes it as protobuf does. */
    private record KeepingBytes<M>(MethodDescriptor.Marshaller<M> proto, Function<Object, byte[]> kept,
                                   Function<InputStream, Object> parser) implements MethodDescriptor.Marshaller<Object> {
        @Override
        @SuppressWarnings("unchecked")
        public InputStream stream(Object value) {
            byte[] b = kept.apply(value);
            return b != null ? new Bytes(b) : proto.stream((M) value);
        }

        @Override
        public Object parse(InputStream stream) {
            return parser.apply(stream);
        }
    }

    static final MethodDescriptor<WatchRequest, Object> WATCH = StoreGrpc.getWatchMethod()
            .toBuilder(StoreGrpc.getWatchMethod().getRequestMarshaller(), RESPONSES).build();

    private ByteLevelStore() {
    }

    /** The generated service definition with Watch served by {@code watch} through {@link #WATCH}, Apply by {@code apply}. */
    static ServerServiceDefinition rebind(ServerServiceDefinition generated,
                                          ServerCalls.ServerStreamingMethod<WatchRequest, Object> watch,
                                          ServerCalls.UnaryMethod<Object, ApplyResponse> apply) {
        ServiceDescriptor old = generated.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
        for (MethodDescriptor<?, ?> m : old.getMethods()) {
            String name = m.getFullMethodName();
            descriptor.addMethod(name.equals(WATCH.getFullMethodName()) ? WATCH : name.equals(APPLY.getFullMethodName()) ? APPLY : m);
        }
        ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
            String name = m.getMethodDescriptor().getFullMethodName();
            if (name.equals(WATCH.getFullMethodName())) {
                out.addMethod(WATCH, ServerCalls.asyncServerStreamingCall(watch));
            } else if (name.equals(APPLY.getFullMethodName())) {
                out.addMethod(APPLY, ServerCalls.asyncUnaryCall(apply));
            } else {
                out.addMethod(m);
            }
        }
        return out.build();
    }

    /** Shared bytes as gRPC's framer takes them without another copy into a buffer of its own. */
    static final class Bytes extends ByteArrayInputStream implements KnownLength, Drainable {
        Bytes(byte[] b) {
            super(b);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
