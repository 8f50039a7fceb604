package io.flotilla.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
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

    /**
     * A node's key from its PEM file (PKCS#8, "PRIVATE KEY", as every Flotilla service writes it: EC P-256), read with
     * the JDK's own providers. Netty reads a PEM key file with BouncyCastle's parser whenever that is on the class
     * path (the agent's and the gateway's), and the first load of its classes verifies the signatures of its signed
     * jars: ~1 s of CPU on a new connection's path (a swarm init's first session), where this takes milliseconds.
     */
    public static PrivateKey privateKey(Path pem) throws IOException {
        String text = Files.readString(pem);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IOException(pem + " holds no PKCS#8 private key (BEGIN PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"EC", "RSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new IOException(pem + ": not an EC or RSA key: " + last.getMessage(), last);
    }

    /** The certificates of a PEM file, in their order (a node certificate: one). */
    public static X509Certificate[] certificates(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            X509Certificate[] chain = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
            if (chain.length == 0) {
                throw new IOException(pem + " holds no certificate");
            }
            return chain;
        } catch (CertificateException e) {
            throw new IOException(pem + ": not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /**
     * A TLS key manager that presents the node's key and certificate from their PEM files, read with the JDK
     * ({@link #privateKey}): given to Netty, no PEM parser of its own and no key store ({@link NodeKeyManager}).
     */
    public static NodeKeyManager keyManager(Path key, Path certificate) throws IOException {
        return NodeKeyManager.of(privateKey(key), certificates(certificate));
    }
}
