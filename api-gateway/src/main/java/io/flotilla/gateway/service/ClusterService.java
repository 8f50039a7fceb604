package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeOutcome;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.ClusterSettings;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.gateway.ca.ClusterCa;
import io.flotilla.gateway.ca.JoinTokens;
import io.flotilla.gateway.store.StoreClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The one Cluster object (name "default"): its CA, join tokens and settings.
 *
 * <p>{@link #ensure()} makes sure it exists and is complete. Two gateways may start at once and both
 * find none; each then creates one. The store refuses a second cluster named "default" if it enforces
 * names per kind (RESULT_NAME_CONFLICT); if it does not, both creates succeed and every reader takes
 * the cluster with the lowest id, and the loser deletes its own (it re-reads first, so it never
 * deletes the winner). A cluster that exists without a CA, tokens or settings (created by another
 * component: in a swarm, the first manager's cluster-state creates it with its root CA, since nothing can
 * reach the store over TLS before there is a CA) gets them with a compare-and-set update.
 */
@ApplicationScoped
public class ClusterService {
    public static final String NAME = "default";
    private static final Logger LOG = Logger.getLogger(ClusterService.class);

    private final StoreClient store;
    private final long heartbeatMs;
    private final long downGraceMs;

    @Inject
    public ClusterService(StoreClient store,
                          @ConfigProperty(name = "flotilla.cluster.heartbeat-period-ms", defaultValue = "500") long heartbeatMs,
                          @ConfigProperty(name = "flotilla.cluster.node-down-grace-ms", defaultValue = "1500") long downGraceMs) {
        this.store = store;
        this.heartbeatMs = heartbeatMs;
        this.downGraceMs = downGraceMs;
    }

    /** The cluster, created or completed if need be. */
    public Cluster current() {
        return ensure();
    }

    public synchronized Cluster ensure() {
        for (int attempt = 0; attempt < 5; attempt++) {
            Cluster winner = winner();
            if (winner == null) {
                createOne();
                continue;
            }
            if (!winner.getCaCertPem().isEmpty() && !winner.getWorkerToken().isEmpty() && !winner.getManagerToken().isEmpty()) {
                return winner;
            }
            complete(winner);
        }
        Cluster winner = winner();
        if (winner == null) {
            throw new ApiException(503, null, "the cluster object could not be created");
        }
        return winner;
    }

    /** The lowest-id cluster; others are removed when this gateway made them. */
    private Cluster winner() {
        List<Cluster> all = store.list(Kind.KIND_CLUSTER).stream().map(StoredObject::getCluster)
                .sorted(Comparator.comparing(c -> c.getMeta().getId())).toList();
        return all.isEmpty() ? null : all.get(0);
    }

    private void createOne() {
        ClusterCa ca = ClusterCa.generate();
        long now = System.currentTimeMillis();
        Cluster cluster = Cluster.newBuilder()
                .setMeta(Meta.newBuilder().setCreatedAtMs(now).setUpdatedAtMs(now))
                .setName(NAME)
                .setCaCertPem(ca.certPem())
                .setCaKeyPem(ca.keyPem())
                .setWorkerToken(JoinTokens.generate(ca.certPem()))
                .setManagerToken(JoinTokens.generate(ca.certPem()))
                .setSettings(defaultSettings())
                .build();
        ApplyResponse r = store.apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_CREATE).setKind(Kind.KIND_CLUSTER)
                        .setObject(StoredObject.newBuilder().setCluster(cluster)))
                .build());
        ChangeOutcome o = r.getOutcomesCount() > 0 ? r.getOutcomes(0) : ChangeOutcome.getDefaultInstance();
        if (o.getResult() != ChangeResult.RESULT_OK) {
            LOG.debugf("cluster create not applied (%s): another gateway was first", o.getResult());
            return;
        }
        Cluster winner = winner();
        if (winner != null && !winner.getMeta().getId().equals(o.getId())) {
            LOG.infof("two clusters were created at once; %s wins, removing ours %s", winner.getMeta().getId(), o.getId());
            store.apply(ApplyRequest.newBuilder()
                    .addChanges(Change.newBuilder().setOp(Op.OP_DELETE).setKind(Kind.KIND_CLUSTER)
                            .setId(o.getId()).setExpectedVersion(o.getCurrentVersion()))
                    .build());
        } else {
            LOG.infof("created cluster %s with a new CA and join tokens", o.getId());
        }
    }

    private void complete(Cluster c) {
        Cluster.Builder b = c.toBuilder();
        if (c.getCaCertPem().isEmpty()) {
            ClusterCa ca = ClusterCa.generate();
            b.setCaCertPem(ca.certPem()).setCaKeyPem(ca.keyPem());
        }
        if (c.getWorkerToken().isEmpty()) b.setWorkerToken(JoinTokens.generate(b.getCaCertPem()));
        if (c.getManagerToken().isEmpty()) b.setManagerToken(JoinTokens.generate(b.getCaCertPem()));
        if (c.getName().isEmpty()) b.setName(NAME);
        if (!c.hasSettings()) b.setSettings(defaultSettings());
        store.apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_CLUSTER)
                        .setId(c.getMeta().getId()).setExpectedVersion(c.getMeta().getVersion())
                        .setObject(StoredObject.newBuilder().setCluster(b)))
                .build());
    }

    private ClusterSettings defaultSettings() {
        return ClusterSettings.newBuilder().setHeartbeatPeriodMs(heartbeatMs).setNodeDownGraceMs(downGraceMs)
                .setTaskHistoryLimit(5).build();
    }

    /**
     * {@code POST /swarm/update}: at {@code version} (compare-and-set), new settings and, when asked,
     * a new worker and/or manager token (the old one stops being valid: the cluster holds one of each).
     */
    public Cluster update(long version, boolean rotateWorker, boolean rotateManager, UnaryOperator<ClusterSettings> settings) {
        Cluster c = ensure();
        if (c.getMeta().getVersion() != version) {
            throw ApiException.outOfSequence();
        }
        Cluster.Builder b = c.toBuilder().setSettings(settings.apply(c.getSettings()));
        if (rotateWorker) b.setWorkerToken(JoinTokens.rotate(c.getCaCertPem()));
        if (rotateManager) b.setManagerToken(JoinTokens.rotate(c.getCaCertPem()));
        b.setMeta(c.getMeta().toBuilder().setUpdatedAtMs(System.currentTimeMillis()));
        Outcomes.require(store.apply(ApplyRequest.newBuilder()
                .addChanges(Change.newBuilder().setOp(Op.OP_UPDATE).setKind(Kind.KIND_CLUSTER)
                        .setId(c.getMeta().getId()).setExpectedVersion(version)
                        .setObject(StoredObject.newBuilder().setCluster(b)))
                .build()), "swarm");
        return b.build();
    }
}
