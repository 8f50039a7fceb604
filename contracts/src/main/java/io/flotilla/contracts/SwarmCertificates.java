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
        if (pem == null || !Files.isRegularFile(pem)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(pem)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return attribute(cert.getSubjectX500Principal(), "O").filter(o -> !o.isEmpty());
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
