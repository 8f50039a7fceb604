package io.flotilla.agent.swarm;

import io.flotilla.contracts.SwarmCertificates;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * This node's TLS identity, kept where Swarm keeps it: FLOTILLA_DATA/certificates/swarm-node.key (the
 * private key, made here, PKCS#8, mode 0600), swarm-node.crt (signed by the cluster CA at join) and
 * swarm-root-ca.crt. Also the join token's check of the CA: the token carries the digest of the CA
 * certificate the joining node must be shown.
 */
public final class NodeIdentity {
    private static final String BASE36_ZERO = "0";
    static final String KEY = "swarm-node.key";
    static final String CERT = "swarm-node.crt";
    static final String CA = "swarm-root-ca.crt";

    private final Path dir;

    public NodeIdentity(Path dataDir) {
        this.dir = dataDir.resolve("certificates");
    }

    public Path dir() {
        return dir;
    }

    public Path keyPath() {
        return dir.resolve(KEY);
    }

    public Path certificatePath() {
        return dir.resolve(CERT);
    }

    public Path caPath() {
        return dir.resolve(CA);
    }

    /** A fresh EC P-256 key pair (the node's key; only its public half is sent at join). */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stores the key, the node certificate and the CA certificate (replacing what was there). */
    public void store(KeyPair key, String certPem, String caPem) throws IOException {
        Files.createDirectories(dir);
        write(KEY, pem("PRIVATE KEY", key.getPrivate().getEncoded()), true);
        write(CERT, certPem, false);
        write(CA, caPem, false);
    }

    /**
     * Replaces the node certificate with a renewed one (a role change, or an old certificate) for the same key:
     * refused, and nothing changed, when it is for another key or not signed by the CA kept here.
     */
    public void replaceCertificate(String certPem) throws IOException {
        X509Certificate next = parse(certPem);
        if (!next.getPublicKey().equals(certificate().getPublicKey())) {
            throw new IOException("the renewed certificate is for another key");
        }
        try {
            next.verify(parse(Files.readString(caPath())).getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException("the renewed certificate is not signed by this swarm's CA: " + e.getMessage(), e);
        }
        write(CERT, certPem, false);
    }

    public boolean present() {
        return Files.exists(certificatePath()) && Files.exists(keyPath());
    }

    /** Whether the key, a manager certificate (OU swarm-manager) and the CA are all here: what manager services use. */
    public boolean managerReady() {
        return SwarmCertificates.managerIdentity(certificatePath(), keyPath(), caPath());
    }

    /** Whether a certificate is a manager's (its subject's OU is swarm-manager). */
    public static boolean isManager(X509Certificate cert) {
        return SwarmCertificates.attribute(cert.getSubjectX500Principal(), "OU")
                .map(SwarmCertificates.MANAGER_OU::equals).orElse(false);
    }

    /** The node certificate, if stored. */
    public X509Certificate certificate() throws IOException {
        return parse(Files.readString(certificatePath()));
    }

    /** Forgets the identity (docker swarm leave). */
    public void wipe() {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    private void write(String name, String content, boolean secret) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        if (secret) {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static X509Certificate parse(String pem) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IOException("not a certificate: " + e.getMessage(), e);
        }
    }

    /** The digest a join token carries: SHA-256 of the CA certificate (DER) in base 36, 50 characters. */
    public static String caDigest(X509Certificate ca) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(ca.getEncoded());
            String s = new BigInteger(1, sha).toString(36);
            return BASE36_ZERO.repeat(Math.max(0, 50 - s.length())) + s;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CA digest part of a token SWMTKN-1-<digest>-<secret>, or "" when it has no such form. */
    public static String tokenDigest(String token) {
        String[] parts = token.split("-");
        return parts.length == 4 && parts[0].equals("SWMTKN") && parts[1].equals("1") ? parts[2] : "";
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
