package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.ManagerStatus;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeStatus;
import org.junit.jupiter.api.Test;

import javax.security.auth.x500.X500Principal;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Join tokens, node certificates and the leader's role decisions. */
class MembershipTest {

    static final String WORKER = "SWMTKN-1-" + "1".repeat(50) + "-" + "w".repeat(25);
    static final String MANAGER = "SWMTKN-1-" + "1".repeat(50) + "-" + "m".repeat(25);
    static final Cluster CLUSTER = Cluster.newBuilder().setWorkerToken(WORKER).setManagerToken(MANAGER).build();

    @Test
    void theWorkerTokenMakesAWorkerAndTheManagerTokenAManager() {
        assertEquals(Optional.of(NodeRole.ROLE_WORKER), JoinTokenCheck.roleFor(CLUSTER, WORKER));
        assertEquals(Optional.of(NodeRole.ROLE_MANAGER), JoinTokenCheck.roleFor(CLUSTER, MANAGER));
    }

    @Test
    void aWrongEmptyOrRotatedTokenGrantsNothing() {
        assertEquals(Optional.empty(), JoinTokenCheck.roleFor(CLUSTER, "SWMTKN-1-" + "1".repeat(50) + "-" + "x".repeat(25)));
        assertEquals(Optional.empty(), JoinTokenCheck.roleFor(CLUSTER, ""));
        Cluster rotated = CLUSTER.toBuilder().setWorkerToken("SWMTKN-1-" + "1".repeat(50) + "-" + "n".repeat(25)).build();
        assertEquals(Optional.empty(), JoinTokenCheck.roleFor(rotated, WORKER));
        // a cluster without tokens yet accepts nothing
        assertEquals(Optional.empty(), JoinTokenCheck.roleFor(Cluster.getDefaultInstance(), ""));
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

    // ---------------------------------------------------------------- role decisions

    static Node node(String id, NodeRole desired, NodeRole inForce) {
        Node.Builder b = Node.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(3))
                .setSpec(NodeSpec.newBuilder().setDesiredRole(desired)).setRole(inForce)
                .setStatus(NodeStatus.newBuilder().setAddr("10.10.10.6" + id.charAt(0)));
        if (inForce == NodeRole.ROLE_MANAGER) {
            b.setManagerStatus(ManagerStatus.newBuilder().setRaftId(id));
        }
        return b.build();
    }

    @Test
    void aPromotedNodeIsAddedOnlyOnceItsStoreIsInTheGroupView() {
        List<Node> nodes = List.of(node("0", NodeRole.ROLE_MANAGER, NodeRole.ROLE_MANAGER),
                node("1", NodeRole.ROLE_MANAGER, NodeRole.ROLE_WORKER));
        assertNull(Membership.decide(nodes, List.of("0"), List.of("0")).change(), "not started yet: wait");
        Membership.Decision d = Membership.decide(nodes, List.of("0"), List.of("0", "1"));
        assertEquals("1", d.change());
        assertTrue(d.add());
    }

    @Test
    void aDemotedNodeIsRemovedAndTheLastMemberNever() {
        List<Node> nodes = List.of(node("0", NodeRole.ROLE_MANAGER, NodeRole.ROLE_MANAGER),
                node("1", NodeRole.ROLE_WORKER, NodeRole.ROLE_MANAGER));
        Membership.Decision d = Membership.decide(nodes, List.of("0", "1"), List.of("0", "1"));
        assertEquals("1", d.change());
        assertEquals(false, d.add());
        List<Node> alone = List.of(node("0", NodeRole.ROLE_WORKER, NodeRole.ROLE_MANAGER));
        assertNull(Membership.decide(alone, List.of("0"), List.of("0")).change());
    }

    @Test
    void theRoleInForceFollowsRaftMembership() {
        Node promoted = node("1", NodeRole.ROLE_MANAGER, NodeRole.ROLE_WORKER);
        Node settled = node("0", NodeRole.ROLE_MANAGER, NodeRole.ROLE_MANAGER);
        Membership.Decision d = Membership.decide(List.of(settled, promoted), List.of("0", "1"), List.of("0", "1"));
        assertEquals(List.of(promoted), d.roleUpdates());
        Node now = Membership.inForce(promoted, List.of("0", "1"), 5);
        assertEquals(NodeRole.ROLE_MANAGER, now.getRole());
        assertEquals("10.10.10.61:2377", now.getManagerStatus().getAddr());
        Node demoted = Membership.inForce(settled, List.of("1"), 5);
        assertEquals(NodeRole.ROLE_WORKER, demoted.getRole());
        assertTrue(!demoted.hasManagerStatus());
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
