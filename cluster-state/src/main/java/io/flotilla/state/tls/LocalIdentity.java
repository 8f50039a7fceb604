package io.flotilla.state.tls;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.state.ca.NodeCertificates;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;

/**
 * The identity files of the node this manager runs on (node-agent's FLOTILLA_DATA/certificates: key,
 * certificate, CA), which the node's agent and its manager services present on 2377. A node that joined has
 * them from its join; the node that founds a swarm has none, and a manager is the one to issue them: when
 * the certificate is missing or not of this cluster's CA, a new key and a manager certificate for this node
 * are written (key first, then certificate, then CA, each replaced atomically). A certificate of this CA for
 * a worker (a node promoted before its session brought the renewed one) is replaced by a manager's for the
 * same key: a node whose manager runs is a manager.
 */
public final class LocalIdentity {
    private static final Logger LOG = Logger.getLogger(LocalIdentity.class);

    private final Path cert;
    private final Path key;
    private final Path ca;

    public LocalIdentity(Path cert, Path key, Path ca) {
        this.cert = cert;
        this.key = key;
        this.ca = ca;
    }

    /** Writes the identity if it is missing or of another CA; returns whether it wrote. */
    public boolean ensure(Cluster cluster, String nodeId, long nowMs) {
        try {
            X509Certificate caCert = NodeCertificates.parseCertificate(cluster.getCaCertPem());
            X509Certificate current = ofThisCa(caCert);
            if (current != null && Files.exists(key)) {
                boolean wrote = false;
                if (!NodeCertificates.MANAGER_OU.equals(NodeCertificates.attribute(current.getSubjectX500Principal(), "OU")
                        .orElse(""))) {
                    write(cert, NodeCertificates.issue(cluster.getCaCertPem(), cluster.getCaKeyPem(),
                            current.getPublicKey().getEncoded(), nodeId, NodeRole.ROLE_MANAGER, cluster.getMeta().getId(), nowMs),
                            false);
                    LOG.infof("node %s's certificate renewed as a manager's", nodeId);
                    wrote = true;
                }
                if (!Files.exists(ca) || !Files.readString(ca).equals(cluster.getCaCertPem())) {
                    write(ca, cluster.getCaCertPem(), false);
                }
                return wrote;
            }
            KeyPair kp = NodeCertificates.newKeyPair();
            String pem = NodeCertificates.issue(cluster.getCaCertPem(), cluster.getCaKeyPem(), kp.getPublic().getEncoded(),
                    nodeId, NodeRole.ROLE_MANAGER, cluster.getMeta().getId(), nowMs);
            write(key, NodeCertificates.pem("PRIVATE KEY", kp.getPrivate().getEncoded()), true);
            write(cert, pem, false);
            write(ca, cluster.getCaCertPem(), false);
            LOG.infof("wrote node %s's identity (a manager certificate of cluster %s) to %s", nodeId,
                    cluster.getMeta().getId(), cert.getParent());
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write this node's identity: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot write this node's identity: " + e.getMessage(), e);
        }
    }

    /** The node certificate on disk if it is of this CA, else null. */
    private X509Certificate ofThisCa(X509Certificate caCert) {
        if (!Files.exists(cert)) {
            return null;
        }
        try {
            X509Certificate c = NodeCertificates.parseCertificate(Files.readString(cert, StandardCharsets.US_ASCII));
            c.verify(caCert.getPublicKey());
            return c;
        } catch (Exception e) {
            return null;
        }
    }

    private static void write(Path file, String content, boolean secret) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        if (secret) {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
