package io.flotilla.state.grpc;

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
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Store.Watch sending the bytes of a {@link WatchMessage}, encoded once for all the watchers that get it,
 * instead of encoding the message again for each call. On the wire it is the same WatchResponse: the method
 * keeps its name and request; only its response marshaller also takes a WatchMessage.
 */
final class SharedWatchEncoding {
    private static final MethodDescriptor.Marshaller<WatchResponse> PROTO = ProtoUtils.marshaller(WatchResponse.getDefaultInstance());

    /** Encodes a WatchMessage as its shared bytes and anything else (a WatchResponse) as protobuf does. */
    static final MethodDescriptor.Marshaller<Object> RESPONSES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(Object value) {
            if (value instanceof WatchMessage m) {
                return new Bytes(m.bytes());
            }
            return PROTO.stream((WatchResponse) value);
        }

        @Override
        public Object parse(InputStream stream) {
            return PROTO.parse(stream);
        }
    };

    static final MethodDescriptor<WatchRequest, Object> WATCH = StoreGrpc.getWatchMethod()
            .toBuilder(StoreGrpc.getWatchMethod().getRequestMarshaller(), RESPONSES).build();

    private SharedWatchEncoding() {
    }

    /** The generated service definition with Watch served by {@code watch} through {@link #WATCH}. */
    static ServerServiceDefinition rebind(ServerServiceDefinition generated,
                                          ServerCalls.ServerStreamingMethod<WatchRequest, Object> watch) {
        ServiceDescriptor old = generated.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
        for (MethodDescriptor<?, ?> m : old.getMethods()) {
            descriptor.addMethod(m.getFullMethodName().equals(WATCH.getFullMethodName()) ? WATCH : m);
        }
        ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
            if (m.getMethodDescriptor().getFullMethodName().equals(WATCH.getFullMethodName())) {
                out.addMethod(WATCH, ServerCalls.asyncServerStreamingCall(watch));
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
