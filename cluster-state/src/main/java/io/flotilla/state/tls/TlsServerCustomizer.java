package io.flotilla.state.tls;

import io.quarkus.arc.Unremovable;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Puts the gRPC server of 2377 (Quarkus's separate gRPC server, quarkus.grpc.server.use-separate-server=true
 * as by default: a Vert.x-wrapped Netty server) on TLS with
 * {@link ManagerTls}'s context: its certificates change at run time (issued once the store has the CA,
 * renewed later), which Quarkus's file-based server TLS settings cannot do. quarkus.grpc.server.ssl.* must stay
 * unset (they would replace this context).
 */
@Singleton
@Unremovable
public class TlsServerCustomizer implements ServerBuilderCustomizer<VertxServerBuilder> {
    private static final Logger LOG = Logger.getLogger(TlsServerCustomizer.class);

    @Inject
    ManagerTls tls;
    @ConfigProperty(name = "flotilla.grpc.plaintext", defaultValue = "false")
    boolean plaintext;

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        if (plaintext) {
            return;
        }
        if (config.ssl().certificate().isPresent() || config.ssl().keyStore().isPresent()) {
            throw new IllegalStateException("quarkus.grpc.server.ssl.* must not be set: cluster-state makes its own certificates");
        }
        builder.nettyBuilder().sslContext(tls.serverContext());
        // (Quarkus's own "TLS enabled: false" below speaks of its quarkus.grpc.server.ssl.* settings only)
        LOG.infof("2377 serves mutual TLS: a server certificate of the cluster CA, client certificates requested");
    }
}
