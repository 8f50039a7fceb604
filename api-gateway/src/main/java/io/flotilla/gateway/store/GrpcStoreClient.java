package io.flotilla.gateway.store;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.GetRequest;
import io.flotilla.contracts.v1.GetResponse;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.MembersRequest;
import io.flotilla.contracts.v1.MembersResponse;
import io.flotilla.contracts.v1.StoreGrpc;
import io.flotilla.contracts.v1.StoredObject;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** {@link StoreClient} over cluster-state's gRPC Store (client config quarkus.grpc.clients.store.*). */
@ApplicationScoped
public class GrpcStoreClient implements StoreClient {

    @GrpcClient("store")
    StoreGrpc.StoreBlockingStub stub;

    @ConfigProperty(name = "flotilla.store.deadline-ms", defaultValue = "5000")
    long deadlineMs;

    private StoreGrpc.StoreBlockingStub call() {
        return stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public ApplyResponse apply(ApplyRequest request) {
        try {
            return call().apply(request);
        } catch (StatusRuntimeException e) {
            throw unavailable(e);
        }
    }

    @Override
    public Optional<StoredObject> get(Kind kind, String id) {
        try {
            GetResponse response = call().get(GetRequest.newBuilder().setKind(kind).setId(id).build());
            return response.hasObject() && response.getObject().getObjectCase() != StoredObject.ObjectCase.OBJECT_NOT_SET
                    ? Optional.of(response.getObject()) : Optional.empty();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND || e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
                return Optional.empty();
            }
            throw unavailable(e);
        }
    }

    @Override
    public List<StoredObject> list(Kind kind, Map<String, String> filters) {
        try {
            return call().list(ListRequest.newBuilder().setKind(kind).putAllFilters(filters).build()).getObjectsList();
        } catch (StatusRuntimeException e) {
            throw unavailable(e);
        }
    }

    @Override
    public MembersResponse members() {
        try {
            return call().members(MembersRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw unavailable(e);
        }
    }

    private static StoreUnavailableException unavailable(StatusRuntimeException e) {
        Status s = e.getStatus();
        return new StoreUnavailableException("cluster store: " + s.getCode()
                + (s.getDescription() == null ? "" : ": " + s.getDescription()), e);
    }
}
