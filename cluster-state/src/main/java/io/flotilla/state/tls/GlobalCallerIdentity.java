package io.flotilla.state.tls;

import io.flotilla.state.ca.Clusters;
import io.flotilla.state.store.StateStore;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@link CallerIdentity} on every gRPC service of this manager (plain text: a pass-through). */
@Singleton
@GlobalInterceptor
public class GlobalCallerIdentity extends CallerIdentity {

    @Inject
    public GlobalCallerIdentity(StateStore store,
                                @ConfigProperty(name = "flotilla.node-id") String nodeId,
                                @ConfigProperty(name = "flotilla.grpc.plaintext", defaultValue = "false") boolean plaintext) {
        super(plaintext ? null : new AccessPolicy(nodeId, id -> Clusters.revoked(store, id)));
    }
}
