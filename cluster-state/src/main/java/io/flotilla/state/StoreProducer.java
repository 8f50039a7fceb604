package io.flotilla.state;

import io.flotilla.state.raft.RaftConfig;
import io.flotilla.state.raft.RaftStateStore;
import io.flotilla.state.tls.PeerTls;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;

/** Makes this manager's Raft store from configuration and starts it with the process. */
@ApplicationScoped
public class StoreProducer {
    private static final Logger LOG = Logger.getLogger(StoreProducer.class);

    @ConfigProperty(name = "flotilla.raft.id")
    String raftId;
    @ConfigProperty(name = "flotilla.raft.members", defaultValue = " ")
    String members;
    @ConfigProperty(name = "flotilla.raft.advertise")
    String advertise;
    @ConfigProperty(name = "flotilla.raft.bind")
    String bind;
    @ConfigProperty(name = "flotilla.raft.port")
    int port;
    @ConfigProperty(name = "flotilla.data")
    String dataDir;
    @ConfigProperty(name = "flotilla.raft.fsync")
    boolean fsync;
    @ConfigProperty(name = "flotilla.raft.max-log-bytes")
    long maxLogBytes;
    @ConfigProperty(name = "flotilla.raft.force-new-cluster", defaultValue = "false")
    boolean forceNewCluster;
    @ConfigProperty(name = "flotilla.raft.write-timeout-ms")
    long writeTimeoutMs;
    @ConfigProperty(name = "flotilla.store.history-events")
    int historyEvents;
    @ConfigProperty(name = "flotilla.grpc.plaintext", defaultValue = "false")
    boolean plaintext;
    /** Mutual TLS on 7946 (design/tls.md); without a node identity, or with FLOTILLA_PLAINTEXT, plain. */
    @ConfigProperty(name = "flotilla.raft.tls", defaultValue = "true")
    boolean raftTls;
    @ConfigProperty(name = "flotilla.tls.node-cert")
    java.util.Optional<String> nodeCert;
    @ConfigProperty(name = "flotilla.tls.node-key")
    java.util.Optional<String> nodeKey;
    @ConfigProperty(name = "flotilla.tls.node-ca")
    java.util.Optional<String> nodeCa;

    @Produces
    @Singleton
    @Startup
    RaftStateStore store() throws Exception {
        RaftConfig config = new RaftConfig(raftId, RaftConfig.parseMembers(members, raftId, advertise, port), bind, port,
                advertise, Path.of(dataDir, "raft"), fsync, maxLogBytes, writeTimeoutMs, forceNewCluster);
        RaftStateStore store = new RaftStateStore(config, historyEvents);
        if (raftTls && !plaintext && nodeCert.isPresent() && nodeKey.isPresent() && nodeCa.isPresent()) {
            // manager to manager (7946): mutual TLS with this node's identity (design/tls.md)
            store.node().socketFactory(new PeerTls(Path.of(nodeCert.get()), Path.of(nodeKey.get()), Path.of(nodeCa.get()))
                    .socketFactory());
            LOG.infof("raft port %d: mutual TLS with this node's identity (%s)", port, nodeCert.get());
        } else {
            LOG.warnf("raft port %d: plain text (%s)", port, !raftTls ? "flotilla.raft.tls=false" : plaintext ? "FLOTILLA_PLAINTEXT" : "no node identity configured");
        }
        // off the caller's thread: the store is first needed by the gRPC services, created on a Vert.x event loop
        store.startAsync().whenComplete((v, e) -> {
            if (e == null) {
                LOG.infof("raft member %s started: members=%s bind=%s:%d advertise=%s data=%s fsync=%s%s", raftId, config.members(),
                        bind, port, advertise, config.dataDir(), fsync, forceNewCluster ? " (forced new cluster)" : "");
            }
        });
        return store;
    }

    void close(@Disposes RaftStateStore store) {
        store.close();
    }
}
