package io.flotilla.state.tls;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.state.ca.NodeCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The founding node gets its identity from its manager; an identity of this CA is left alone. */
class LocalIdentityTest {

    @TempDir
    Path dir;

    static Cluster cluster(String id) {
        NodeCertificates.Authority root = NodeCertificates.newRoot(System.currentTimeMillis());
        return Cluster.newBuilder().setMeta(Meta.newBuilder().setId(id)).setCaCertPem(root.certPem())
                .setCaKeyPem(root.keyPem()).build();
    }

    @Test
    void aMissingIdentityIsWrittenAsAManagerOfThisCaAndThenLeftAlone() throws Exception {
        Path cert = dir.resolve("certificates/swarm-node.crt");
        Path key = dir.resolve("certificates/swarm-node.key");
        Path ca = dir.resolve("certificates/swarm-root-ca.crt");
        LocalIdentity local = new LocalIdentity(cert, key, ca);
        Cluster c = cluster("c1");

        assertTrue(local.ensure(c, "node1", System.currentTimeMillis()));

        X509Certificate written = NodeCertificates.parseCertificate(Files.readString(cert));
        written.verify(NodeCertificates.parseCertificate(c.getCaCertPem()).getPublicKey());
        assertEquals(Optional.of("node1"), NodeCertificates.attribute(written.getSubjectX500Principal(), "CN"));
        assertEquals(Optional.of("swarm-manager"), NodeCertificates.attribute(written.getSubjectX500Principal(), "OU"));
        assertEquals(c.getCaCertPem(), Files.readString(ca));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(key));
        String keyBefore = Files.readString(key);
        assertFalse(local.ensure(c, "node1", System.currentTimeMillis()), "of this CA already");
        assertEquals(keyBefore, Files.readString(key));

        // another swarm's identity (a stale one) is replaced, with a new key
        Cluster other = cluster("c2");
        assertTrue(local.ensure(other, "node1", System.currentTimeMillis()));
        NodeCertificates.parseCertificate(Files.readString(cert))
                .verify(NodeCertificates.parseCertificate(other.getCaCertPem()).getPublicKey());
        assertNotEquals(keyBefore, Files.readString(key));
    }

    @Test
    void aWorkersCertificateOfThisCaBecomesAManagersForTheSameKey() throws Exception {
        Path cert = dir.resolve("swarm-node.crt");
        Path key = dir.resolve("swarm-node.key");
        Cluster c = cluster("c1");
        java.security.KeyPair kp = NodeCertificates.newKeyPair();
        Files.writeString(key, NodeCertificates.pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        Files.writeString(cert, NodeCertificates.issue(c.getCaCertPem(), c.getCaKeyPem(), kp.getPublic().getEncoded(), "node1",
                io.flotilla.contracts.v1.NodeRole.ROLE_WORKER, "c1", System.currentTimeMillis()));
        LocalIdentity local = new LocalIdentity(cert, key, dir.resolve("swarm-root-ca.crt"));

        assertTrue(local.ensure(c, "node1", System.currentTimeMillis()));

        X509Certificate now = NodeCertificates.parseCertificate(Files.readString(cert));
        assertEquals(Optional.of("swarm-manager"), NodeCertificates.attribute(now.getSubjectX500Principal(), "OU"));
        assertEquals(kp.getPublic(), now.getPublicKey(), "the node's own key, kept");
        assertFalse(local.ensure(c, "node1", System.currentTimeMillis()));
    }
}
