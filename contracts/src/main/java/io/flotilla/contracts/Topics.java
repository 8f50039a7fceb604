package io.flotilla.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Kafka topic names shared by producers and consumers. */
public final class Topics {
    /** Every committed object change, in commit order. See schemas/state-event.v1.md. */
    public static final String STATE_V1 = "flotilla.state.v1";
    /** The record header carrying the event's store (Raft) index, in decimal. */
    public static final String INDEX_HEADER = "flotilla_index";
    /**
     * The record header carrying the id of the swarm (cluster) whose store made the event. One topic outlives a
     * swarm (a swarm left and a new one initialised on the same broker): the new swarm's indexes start again at 1,
     * so a consumer skips the records of any other swarm, and the publisher resumes only after its own.
     */
    public static final String CLUSTER_HEADER = "flotilla_cluster";

    /**
     * Whether a record whose {@link #INDEX_HEADER} value is {@code header} is at or below {@code index} (a
     * consumer that has the state up to that index skips it without decoding it); false when the header is
     * absent or not a number (then the record is judged by its content).
     */
    public static boolean atOrBelow(byte[] header, long index) {
        if (header == null || header.length == 0 || header.length > 19) {
            return false;
        }
        long v = 0;
        for (byte b : header) {
            if (b < '0' || b > '9') {
                return false;
            }
            v = v * 10 + (b - '0');
        }
        return v <= index;
    }

    /**
     * Whether a record whose {@link #CLUSTER_HEADER} value is {@code header} was made by another swarm than
     * {@code clusterId}; false when either is unknown (a record without the header, a consumer that does not know
     * its swarm), so that the record is judged as before.
     */
    public static boolean ofOtherCluster(byte[] header, String clusterId) {
        if (header == null || header.length == 0 || clusterId == null || clusterId.isEmpty()) {
            return false;
        }
        return !clusterId.equals(new String(header, StandardCharsets.UTF_8));
    }

    /**
     * The swarm of a node certificate (PEM): its subject's O, which is the cluster id (as Swarm issues them:
     * CN = node id, OU = swarm-manager or swarm-worker, O = cluster id); empty when the file is absent or has none.
     */
    public static Optional<String> clusterOfCertificate(Path pem) {
        if (pem == null || !Files.isRegularFile(pem)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(pem)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("O")) {
                    String o = rdn.getValue().toString();
                    return o.isEmpty() ? Optional.empty() : Optional.of(o);
                }
            }
            return Optional.empty();
        } catch (IOException | CertificateException | InvalidNameException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A consumer's own swarm: the cluster id of its node certificate at {@code certificate}, or null in plain text
     * (tests: no certificate) or when the certificate cannot be read (then no record is skipped for its swarm).
     */
    public static String ownCluster(boolean plaintext, String certificate) {
        return plaintext || certificate == null || certificate.isBlank() ? null
                : clusterOfCertificate(Path.of(certificate)).orElse(null);
    }

    private Topics() {
    }
}
