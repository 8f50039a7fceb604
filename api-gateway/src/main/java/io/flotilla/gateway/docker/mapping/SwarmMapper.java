package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.ClusterSettings;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;

import static io.flotilla.gateway.docker.mapping.JsonFields.F;
import static io.flotilla.gateway.docker.mapping.JsonFields.int64;
import static io.flotilla.gateway.docker.mapping.JsonFields.object;
import static io.flotilla.gateway.docker.mapping.JsonFields.uint;

/** The {@link Cluster} as Docker's Swarm JSON (with JoinTokens), and the SwarmSpec settings Flotilla honours. */
public final class SwarmMapper {
    public static final long NODE_CERT_EXPIRY_NS = 90L * 24 * 3600 * 1_000_000_000L;   // Swarm's 90 days
    public static final long DEFAULT_HEARTBEAT_MS = 5000;
    public static final int DEFAULT_TASK_HISTORY = 5;

    private SwarmMapper() {
    }

    public static ObjectNode toDocker(Cluster c) {
        ObjectNode o = F.objectNode();
        o.put("ID", c.getMeta().getId());
        o.putObject("Version").put("Index", c.getMeta().getVersion());
        o.put("CreatedAt", DockerTime.format(c.getMeta().getCreatedAtMs()));
        o.put("UpdatedAt", DockerTime.format(c.getMeta().getUpdatedAtMs()));
        ObjectNode spec = o.putObject("Spec");
        spec.put("Name", c.getName().isEmpty() ? "default" : c.getName());
        spec.putObject("Labels");
        ClusterSettings s = c.getSettings();
        spec.putObject("Orchestration").put("TaskHistoryRetentionLimit",
                s.getTaskHistoryLimit() > 0 ? s.getTaskHistoryLimit() : DEFAULT_TASK_HISTORY);
        spec.putObject("Raft")
                .put("SnapshotInterval", 10000)
                .put("KeepOldSnapshots", 0)
                .put("LogEntriesForSlowFollowers", 500)
                .put("ElectionTick", 10)
                .put("HeartbeatTick", 1);
        spec.putObject("Dispatcher").put("HeartbeatPeriod",
                (s.getHeartbeatPeriodMs() > 0 ? s.getHeartbeatPeriodMs() : DEFAULT_HEARTBEAT_MS) * 1_000_000L);
        spec.putObject("CAConfig").put("NodeCertExpiry", NODE_CERT_EXPIRY_NS);
        spec.putObject("TaskDefaults");
        spec.putObject("EncryptionConfig").put("AutoLockManagers", false);
        ObjectNode tls = tlsInfo(c.getCaCertPem());
        o.set("TLSInfo", tls == null ? F.objectNode() : tls);
        o.put("RootRotationInProgress", false);
        o.put("DataPathPort", 4789);
        o.putArray("DefaultAddrPool").add("10.0.0.0/8");
        o.put("SubnetSize", 24);
        o.putObject("JoinTokens")
                .put("Worker", c.getWorkerToken())
                .put("Manager", c.getManagerToken());
        return o;
    }

    /** TLSInfo{TrustRoot, CertIssuerSubject, CertIssuerPublicKey} of a CA certificate; null when there is none. */
    public static ObjectNode tlsInfo(String caCertPem) {
        if (caCertPem == null || caCertPem.isBlank()) {
            return null;
        }
        try {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(caCertPem.getBytes(StandardCharsets.US_ASCII)));
            Base64.Encoder b64 = Base64.getEncoder();
            return F.objectNode()
                    .put("TrustRoot", caCertPem)
                    .put("CertIssuerSubject", b64.encodeToString(cert.getSubjectX500Principal().getEncoded()))
                    .put("CertIssuerPublicKey", b64.encodeToString(cert.getPublicKey().getEncoded()));
        } catch (CertificateException | RuntimeException e) {
            return F.objectNode().put("TrustRoot", caCertPem);
        }
    }

    /** Applies the SwarmSpec settings Flotilla models (task history, heartbeat period) to the cluster's settings. */
    public static ClusterSettings settingsFromDocker(JsonNode spec, ClusterSettings current) {
        ClusterSettings.Builder b = current.toBuilder();
        if (spec == null || !spec.isObject()) {
            return b.build();
        }
        JsonNode orchestration = object(spec, "Orchestration");
        if (orchestration != null && orchestration.has("TaskHistoryRetentionLimit")) {
            b.setTaskHistoryLimit((int) uint(orchestration, "TaskHistoryRetentionLimit"));
        }
        JsonNode dispatcher = object(spec, "Dispatcher");
        if (dispatcher != null && dispatcher.has("HeartbeatPeriod")) {
            long ns = int64(dispatcher, "HeartbeatPeriod");
            if (ns <= 0) {
                throw new InvalidSpecException("heartbeat period must be positive");
            }
            b.setHeartbeatPeriodMs(Math.max(1, ns / 1_000_000L));
        }
        return b.build();
    }
}
