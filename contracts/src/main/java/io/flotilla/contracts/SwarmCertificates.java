package io.flotilla.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Reading a node certificate as Swarm issues them: subject CN = the node id, OU = swarm-manager or swarm-worker,
 * O = the cluster id. For every module: cluster-state's CA issues them, the services read their own.
 */
public final class SwarmCertificates {
    /** The OU of a manager's node certificate (a worker's is swarm-worker). */
    public static final String MANAGER_OU = "swarm-manager";

    private SwarmCertificates() {
    }

    /** One attribute (CN, OU, O) of a distinguished name, if present. */
    public static Optional<String> attribute(X500Principal name, String type) {
        try {
            for (Rdn rdn : new LdapName(name.getName(X500Principal.RFC2253)).getRdns()) {
                if (rdn.getType().equalsIgnoreCase(type)) {
                    return Optional.of(String.valueOf(rdn.getValue()));
                }
            }
            return Optional.empty();
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
    }

    /** The swarm (cluster id, the subject's O) of the node certificate in a PEM file; empty when absent or unreadable. */
    public static Optional<String> clusterOf(Path pem) {
        return subjectOf(pem).flatMap(s -> attribute(s, "O")).filter(o -> !o.isEmpty());
    }

    /**
     * Whether a manager's identity is complete on disk: its key, the swarm's CA and a node certificate whose OU is
     * swarm-manager. The node's store writes them in the order key, certificate, CA, each by an atomic move, so
     * the CA's presence says the other two are whole. A worker's certificate (a node about to be promoted) is not
     * one: a manager service that presented it to the store would be refused.
     */
    public static boolean managerIdentity(Path certificate, Path key, Path ca) {
        return Files.isRegularFile(key) && Files.isRegularFile(ca)
                && subjectOf(certificate).flatMap(s -> attribute(s, "OU")).map(MANAGER_OU::equals).orElse(false);
    }

    /** The subject of the certificate in a PEM file; empty when absent or unreadable. */
    private static Optional<X500Principal> subjectOf(Path pem) {
        if (pem == null || !Files.isRegularFile(pem)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(pem)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return Optional.of(cert.getSubjectX500Principal());
        } catch (IOException | CertificateException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A service's own swarm: the cluster id of its node certificate at {@code certificate}, or null in plain text
     * (tests: no certificate) or when the certificate cannot be read.
     */
    public static String ownCluster(boolean plaintext, String certificate) {
        return plaintext || certificate == null || certificate.isBlank() ? null : clusterOf(Path.of(certificate)).orElse(null);
    }
}
