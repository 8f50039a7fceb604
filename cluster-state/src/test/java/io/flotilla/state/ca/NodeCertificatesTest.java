package io.flotilla.state.ca;

import io.flotilla.contracts.v1.NodeRole;
import org.junit.jupiter.api.Test;

import javax.security.auth.x500.X500Principal;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cluster CA's certificates: node certificates, a manager's server certificate, a new root, renewal. */
class NodeCertificatesTest {

    @Test
    void theSwarmOfAnEventStreamConsumerIsTheOrganisationOfItsNodeCertificate(@org.junit.jupiter.api.io.TempDir
                                                                                java.nio.file.Path dir) throws Exception {
        NodeCertificates.Authority root = NodeCertificates.newRoot(System.currentTimeMillis());
        String pem = NodeCertificates.issue(root.certPem(), root.keyPem(), ec().getPublic().getEncoded(), "n1",
                NodeRole.ROLE_WORKER, "cluster7", System.currentTimeMillis());
        java.nio.file.Path file = dir.resolve("swarm-node.crt");
        java.nio.file.Files.writeString(file, pem);
        assertEquals(Optional.of("cluster7"), io.flotilla.contracts.SwarmCertificates.clusterOf(file));
        assertEquals(Optional.empty(), io.flotilla.contracts.SwarmCertificates.clusterOf(dir.resolve("absent.crt")));
        java.nio.file.Files.writeString(dir.resolve("bad.crt"), "not a certificate");
        assertEquals(Optional.empty(), io.flotilla.contracts.SwarmCertificates.clusterOf(dir.resolve("bad.crt")));
        byte[] mine = "cluster7".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(io.flotilla.contracts.Topics.ofOtherCluster(mine, "cluster7"));
        assertTrue(io.flotilla.contracts.Topics.ofOtherCluster(mine, "cluster8"));
        assertFalse(io.flotilla.contracts.Topics.ofOtherCluster(null, "cluster8"), "a record without the header");
        assertFalse(io.flotilla.contracts.Topics.ofOtherCluster(mine, null), "a consumer that knows no swarm");
    }

    @Test
    void aNodeCertificateIsSignedByTheClusterCaForTheNodesOwnKey() throws Exception {
        KeyPair caKey = ec();
        String caPem = selfSigned(caKey);
        String caKeyPem = NodeCertificates.pem("PRIVATE KEY", caKey.getPrivate().getEncoded());
        KeyPair nodeKey = ec();
        long now = System.currentTimeMillis();
        String pem = NodeCertificates.issue(caPem, caKeyPem, nodeKey.getPublic().getEncoded(), "abcdefghijklmnopqrstuvwxy",
                NodeRole.ROLE_MANAGER, "clusterid", now);
        X509Certificate cert = NodeCertificates.parseCertificate(pem);
        X509Certificate ca = NodeCertificates.parseCertificate(caPem);
        cert.verify(ca.getPublicKey());          // throws unless the CA signed it
        cert.checkValidity();
        assertEquals(nodeKey.getPublic(), cert.getPublicKey());
        String subject = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
        assertTrue(subject.contains("CN=abcdefghijklmnopqrstuvwxy"), subject);
        assertTrue(subject.contains("OU=swarm-manager"), subject);
        assertEquals(ca.getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertTrue(cert.getNotAfter().getTime() > now + NodeCertificates.VALIDITY_MS - 2000);
    }

    @Test
    void garbageInsteadOfAPublicKeyIsRefused() throws Exception {
        KeyPair caKey = ec();
        String caPem = selfSigned(caKey);
        String caKeyPem = NodeCertificates.pem("PRIVATE KEY", caKey.getPrivate().getEncoded());
        assertThrows(IllegalArgumentException.class, () -> NodeCertificates.issue(caPem, caKeyPem, new byte[]{1, 2, 3},
                "n", NodeRole.ROLE_WORKER, "c", System.currentTimeMillis()));
    }

    @Test
    void theSec1CaKeyBouncyCastleWritesIsRead() throws Exception {
        KeyPair caKey = ec();
        // PKCS#8 of an EC key: SEQ{0, SEQ{oid, curve}, OCTET STRING{SEC1}}: take the SEC1 part out
        byte[] pkcs8 = caKey.getPrivate().getEncoded();
        byte[] sec1 = sec1Of(pkcs8);
        String pem = NodeCertificates.pem("EC PRIVATE KEY", sec1);
        assertEquals(((java.security.interfaces.ECPrivateKey) caKey.getPrivate()).getS(),
                ((java.security.interfaces.ECPrivateKey) NodeCertificates.privateKey(pem)).getS());
    }

    @Test
    void aManagersServerCertificateNamesItsAddressesAndLoopback() throws Exception {
        NodeCertificates.Authority root = NodeCertificates.newRoot(System.currentTimeMillis());
        KeyPair key = ec();
        String pem = NodeCertificates.issueServer(root.certPem(), root.keyPem(), key.getPublic().getEncoded(), "m1",
                "cluster1", List.of("10.10.10.60", "127.0.0.1", "localhost", "::1", "cluster-state"), System.currentTimeMillis());
        X509Certificate cert = NodeCertificates.parseCertificate(pem);
        cert.verify(NodeCertificates.parseCertificate(root.certPem()).getPublicKey());
        Set<String> names = new HashSet<>();
        for (List<?> n : cert.getSubjectAlternativeNames()) {
            names.add(n.get(0) + "=" + n.get(1));
        }
        // 7 = iPAddress, 2 = dNSName
        assertEquals(Set.of("7=10.10.10.60", "7=127.0.0.1", "2=localhost", "7=0:0:0:0:0:0:0:1", "2=cluster-state"), names);
        assertEquals(Optional.of("m1"), NodeCertificates.attribute(cert.getSubjectX500Principal(), "CN"));
        assertEquals(Optional.of("swarm-manager"), NodeCertificates.attribute(cert.getSubjectX500Principal(), "OU"));
        assertEquals(-1, cert.getBasicConstraints(), "not a CA");
    }

    @Test
    void aNewRootIsASelfSignedCaWithItsKey() throws Exception {
        long now = System.currentTimeMillis();
        NodeCertificates.Authority root = NodeCertificates.newRoot(now);
        X509Certificate ca = NodeCertificates.parseCertificate(root.certPem());
        ca.verify(ca.getPublicKey());
        assertTrue(ca.getBasicConstraints() >= 0, "a CA");
        assertTrue(ca.getKeyUsage()[5], "keyCertSign");
        assertEquals(Optional.of("swarm-ca"), NodeCertificates.attribute(ca.getSubjectX500Principal(), "CN"));
        assertTrue(ca.getNotAfter().getTime() > now + 19L * 365 * 86_400_000, "valid 20 years: " + ca.getNotAfter());
        // its key signs what it issues
        String node = NodeCertificates.issue(root.certPem(), root.keyPem(), ec().getPublic().getEncoded(), "n1",
                NodeRole.ROLE_WORKER, "c", now);
        NodeCertificates.parseCertificate(node).verify(ca.getPublicKey());
    }

    @Test
    void aCertificateIsRenewedForAnotherRoleOrOnceHalfItsValidityIsGone() throws Exception {
        NodeCertificates.Authority root = NodeCertificates.newRoot(System.currentTimeMillis());
        long issued = System.currentTimeMillis();
        X509Certificate worker = NodeCertificates.parseCertificate(NodeCertificates.issue(root.certPem(), root.keyPem(),
                ec().getPublic().getEncoded(), "n1", NodeRole.ROLE_WORKER, "c", issued));
        assertFalse(NodeCertificates.needsRenewal(worker, NodeRole.ROLE_WORKER, issued));
        assertTrue(NodeCertificates.needsRenewal(worker, NodeRole.ROLE_MANAGER, issued), "promoted");
        assertFalse(NodeCertificates.needsRenewal(worker, NodeRole.ROLE_WORKER, issued + NodeCertificates.VALIDITY_MS / 3));
        assertTrue(NodeCertificates.needsRenewal(worker, NodeRole.ROLE_WORKER, issued + NodeCertificates.VALIDITY_MS * 2 / 3));
    }

    // ---------------------------------------------------------------- helpers

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** A self-signed CA certificate, with the class under test's own DER writer (CN=swarm-ca). */
    static String selfSigned(KeyPair kp) throws Exception {
        byte[] name = NodeCertificates.seq(NodeCertificates.set(NodeCertificates.seq(
                NodeCertificates.oid(2, 5, 4, 3), NodeCertificates.utf8("swarm-ca"))));
        byte[] alg = NodeCertificates.seq(NodeCertificates.oid(1, 2, 840, 10045, 4, 3, 2));
        long now = System.currentTimeMillis();
        byte[] tbs = NodeCertificates.seq(NodeCertificates.tag(0xA0, NodeCertificates.integer(BigInteger.TWO)),
                NodeCertificates.integer(BigInteger.ONE), alg, name,
                NodeCertificates.seq(NodeCertificates.time(now - 1000), NodeCertificates.time(now + 86_400_000)),
                name, kp.getPublic().getEncoded());
        java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate());
        s.update(tbs);
        byte[] sig = s.sign();
        byte[] bits = new byte[sig.length + 1];
        System.arraycopy(sig, 0, bits, 1, sig.length);
        return NodeCertificates.pem("CERTIFICATE", NodeCertificates.seq(tbs, alg, NodeCertificates.tag(0x03, bits)));
    }

    /** The OCTET STRING content at the end of a PKCS#8 EC key. */
    static byte[] sec1Of(byte[] pkcs8) {
        int i = 0;
        // outer SEQUENCE header
        i = skipHeader(pkcs8, i);
        i = skipTlv(pkcs8, i);          // INTEGER 0
        i = skipTlv(pkcs8, i);          // AlgorithmIdentifier
        int start = skipHeader(pkcs8, i);
        int len = length(pkcs8, i);
        byte[] out = new byte[len];
        System.arraycopy(pkcs8, start, out, 0, len);
        return out;
    }

    static int skipHeader(byte[] d, int i) {
        int l = d[i + 1] & 0xFF;
        return i + 2 + (l < 128 ? 0 : l & 0x7F);
    }

    static int length(byte[] d, int i) {
        int l = d[i + 1] & 0xFF;
        if (l < 128) {
            return l;
        }
        int n = 0;
        for (int k = 0; k < (l & 0x7F); k++) {
            n = (n << 8) | (d[i + 2 + k] & 0xFF);
        }
        return n;
    }

    static int skipTlv(byte[] d, int i) {
        return skipHeader(d, i) + length(d, i);
    }
}
