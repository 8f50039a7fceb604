package io.flotilla.state.ca;

import io.flotilla.contracts.SwarmCertificates;
import io.flotilla.contracts.v1.NodeRole;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * The cluster CA's certificates, as Swarm issues them, written with the JDK alone (a small DER writer):
 * cluster-state carries no BouncyCastle. EC P-256 keys, ecdsa-with-SHA256.
 * <ul>
 * <li>node certificates: subject CN = the node id, OU = swarm-worker or swarm-manager, O = the cluster id,
 * valid 90 days (Swarm's default node certificate expiry). The node sends only its public key; its private
 * key never leaves it.</li>
 * <li>a manager's server certificate for 2377: the same subject (OU swarm-manager) with the addresses and
 * names clients reach the manager by as subject alternative names.</li>
 * <li>the root CA of a new cluster: CN=swarm-ca, self-signed, valid 20 years (Swarm's root lifetime).</li>
 * </ul>
 */
public final class NodeCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final long VALIDITY_MS = 90L * 24 * 3600 * 1000;
    static final long ROOT_VALIDITY_MS = 20L * 365 * 24 * 3600 * 1000;
    public static final String MANAGER_OU = SwarmCertificates.MANAGER_OU;
    public static final String WORKER_OU = "swarm-worker";
    private static final byte[] OID_ECDSA_SHA256 = oid(1, 2, 840, 10045, 4, 3, 2);
    private static final byte[] OID_EC_PUBLIC_KEY = oid(1, 2, 840, 10045, 2, 1);
    private static final byte[] OID_P256 = oid(1, 2, 840, 10045, 3, 1, 7);
    private static final byte[] OID_CN = oid(2, 5, 4, 3);
    private static final byte[] OID_OU = oid(2, 5, 4, 11);
    private static final byte[] OID_O = oid(2, 5, 4, 10);
    private static final byte[] OID_BASIC_CONSTRAINTS = oid(2, 5, 29, 19);
    private static final byte[] OID_KEY_USAGE = oid(2, 5, 29, 15);
    private static final byte[] OID_SUBJECT_ALT_NAME = oid(2, 5, 29, 17);
    /** A key's usages as a DER BIT STRING: digitalSignature | keyEncipherment, and keyCertSign | cRLSign for a CA. */
    private static final byte[] USAGE_END_ENTITY = {0x03, 0x02, 0x05, (byte) 0xA0};
    private static final byte[] USAGE_CA = {0x03, 0x02, 0x01, (byte) 0x86};

    /** A CA certificate and its private key, both PEM (the key PKCS#8). */
    public record Authority(String certPem, String keyPem) {
    }

    private NodeCertificates() {
    }

    public static String organizationalUnit(NodeRole role) {
        return role == NodeRole.ROLE_MANAGER ? MANAGER_OU : WORKER_OU;
    }

    /** Signs a node certificate for publicKeyDer (X.509 SubjectPublicKeyInfo) with the CA; returns it as PEM. */
    public static String issue(String caCertPem, String caKeyPem, byte[] publicKeyDer, String nodeId, NodeRole role,
                               String clusterId, long nowMs) {
        return sign(caCertPem, caKeyPem, publicKeyDer, subject(clusterId, organizationalUnit(role), nodeId),
                endEntity(List.of()), nowMs, VALIDITY_MS);
    }

    /**
     * Signs a manager's server certificate for publicKeyDer: the manager's node subject (OU swarm-manager) with
     * the given host names and IP addresses as subject alternative names (what clients verify the host by).
     */
    public static String issueServer(String caCertPem, String caKeyPem, byte[] publicKeyDer, String nodeId,
                                     String clusterId, List<String> hosts, long nowMs) {
        List<byte[]> names = new ArrayList<>();
        for (String h : hosts) {
            names.add(generalName(h));
        }
        return sign(caCertPem, caKeyPem, publicKeyDer, subject(clusterId, MANAGER_OU, nodeId), endEntity(names),
                nowMs, VALIDITY_MS);
    }

    /** A new root CA (CN=swarm-ca, self-signed) with a new key. */
    public static Authority newRoot(long nowMs) {
        KeyPair kp = newKeyPair();
        byte[] name = seq(set(seq(OID_CN, utf8("swarm-ca"))));
        byte[] extensions = tag(0xA3, seq(
                seq(OID_BASIC_CONSTRAINTS, new byte[]{0x01, 0x01, (byte) 0xFF}, octets(seq(new byte[]{0x01, 0x01, (byte) 0xFF}))),
                seq(OID_KEY_USAGE, new byte[]{0x01, 0x01, (byte) 0xFF}, octets(USAGE_CA))));
        try {
            String cert = signed(name, kp.getPrivate(), name, kp.getPublic().getEncoded(), extensions, nowMs, ROOT_VALIDITY_MS);
            return new Authority(cert, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a root CA: " + e.getMessage(), e);
        }
    }

    /** A fresh EC P-256 key pair. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether a node certificate is to be replaced: its role (OU) is not the one the node is to have, or half
     * of its validity has gone by (Swarm renews well before expiry).
     */
    public static boolean needsRenewal(X509Certificate cert, NodeRole desired, long nowMs) {
        if (!organizationalUnit(desired).equals(attribute(cert.getSubjectX500Principal(), "OU").orElse(""))) {
            return true;
        }
        long from = cert.getNotBefore().getTime();
        long to = cert.getNotAfter().getTime();
        return nowMs >= from + (to - from) / 2;
    }

    /** One attribute (CN, OU, O) of a distinguished name, if present. */
    public static Optional<String> attribute(X500Principal name, String type) {
        return io.flotilla.contracts.SwarmCertificates.attribute(name, type);
    }

    private static byte[] subject(String clusterId, String ou, String nodeId) {
        return seq(set(seq(OID_O, utf8(clusterId))), set(seq(OID_OU, utf8(ou))), set(seq(OID_CN, utf8(nodeId))));
    }

    /** Not a CA; digitalSignature and keyEncipherment; the alternative names, if any. */
    private static byte[] endEntity(List<byte[]> altNames) {
        List<byte[]> exts = new ArrayList<>(List.of(
                seq(OID_BASIC_CONSTRAINTS, new byte[]{0x01, 0x01, (byte) 0xFF}, octets(seq())),
                seq(OID_KEY_USAGE, new byte[]{0x01, 0x01, (byte) 0xFF}, octets(USAGE_END_ENTITY))));
        if (!altNames.isEmpty()) {
            exts.add(seq(OID_SUBJECT_ALT_NAME, octets(seq(altNames.toArray(byte[][]::new)))));
        }
        return tag(0xA3, seq(exts.toArray(byte[][]::new)));
    }

    /** A GeneralName: iPAddress [7] for an IP literal, dNSName [2] otherwise. */
    private static byte[] generalName(String host) {
        if (isIpLiteral(host)) {
            try {
                return tag(0x87, InetAddress.getByName(host).getAddress());
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("not an address: " + host, e);
            }
        }
        return tag(0x82, host.getBytes(StandardCharsets.US_ASCII));
    }

    static boolean isIpLiteral(String host) {
        return host.contains(":") || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static String sign(String caCertPem, String caKeyPem, byte[] publicKeyDer, byte[] subject, byte[] extensions,
                               long nowMs, long validityMs) {
        try {
            X509Certificate ca = parseCertificate(caCertPem);
            // the key must be a key: refuse garbage before signing it
            KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(publicKeyDer));
            return signed(ca.getSubjectX500Principal().getEncoded(), privateKey(caKeyPem), subject, publicKeyDer,
                    extensions, nowMs, validityMs);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot issue a certificate: " + e.getMessage(), e);
        }
    }

    private static String signed(byte[] issuer, PrivateKey issuerKey, byte[] subject, byte[] publicKeyDer,
                                 byte[] extensions, long nowMs, long validityMs) throws GeneralSecurityException {
        byte[] sigAlg = seq(OID_ECDSA_SHA256);
        byte[] tbs = seq(
                tag(0xA0, integer(BigInteger.valueOf(2))),
                integer(new BigInteger(127, RANDOM)),
                sigAlg,
                issuer,
                seq(time(nowMs - 3600_000), time(nowMs + validityMs)),
                subject,
                publicKeyDer,
                extensions);
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(issuerKey);
        s.update(tbs);
        byte[] sig = s.sign();
        byte[] bitString = new byte[sig.length + 1];
        System.arraycopy(sig, 0, bitString, 1, sig.length);
        return pem("CERTIFICATE", seq(tbs, sigAlg, tag(0x03, bitString)));
    }

    public static X509Certificate parseCertificate(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The CA key: PKCS#8 ("PRIVATE KEY") or OpenSSL's SEC1 ("EC PRIVATE KEY", P-256) as BouncyCastle writes it. */
    public static PrivateKey privateKey(String pem) throws Exception {
        byte[] der = unpem(pem);
        if (pem.contains("BEGIN EC PRIVATE KEY")) {
            der = seq(integer(BigInteger.ZERO), seq(OID_EC_PUBLIC_KEY, OID_P256), octets(der));
        }
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    static byte[] unpem(String pem) {
        StringBuilder b64 = new StringBuilder();
        boolean in = false;
        for (String line : pem.split("\\R")) {
            if (line.startsWith("-----BEGIN")) {
                in = true;
            } else if (line.startsWith("-----END")) {
                break;
            } else if (in && !line.contains(":")) {
                b64.append(line.trim());
            }
        }
        return Base64.getDecoder().decode(b64.toString());
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    // ---------------------------------------------------------------- DER

    static byte[] tag(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 128) {
            out.write(n);
        } else {
            byte[] len = BigInteger.valueOf(n).toByteArray();
            int off = len[0] == 0 ? 1 : 0;
            out.write(0x80 | (len.length - off));
            out.write(len, off, len.length - off);
        }
        out.write(content, 0, n);
        return out.toByteArray();
    }

    static byte[] seq(byte[]... parts) {
        return tag(0x30, concat(parts));
    }

    static byte[] set(byte[]... parts) {
        return tag(0x31, concat(parts));
    }

    static byte[] integer(BigInteger v) {
        return tag(0x02, v.toByteArray());
    }

    static byte[] octets(byte[] v) {
        return tag(0x04, v);
    }

    static byte[] utf8(String s) {
        return tag(0x0C, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] time(long ms) {
        ZonedDateTime t = ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(ms), ZoneOffset.UTC);
        if (t.getYear() < 2050) {
            return tag(0x17, DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").format(t).getBytes(StandardCharsets.US_ASCII));
        }
        return tag(0x18, DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").format(t).getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] oid(int... arcs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int v = arcs[i];
            byte[] tmp = new byte[5];
            int k = 0;
            tmp[k++] = (byte) (v & 0x7F);
            v >>>= 7;
            while (v > 0) {
                tmp[k++] = (byte) (0x80 | (v & 0x7F));
                v >>>= 7;
            }
            for (int j = k - 1; j >= 0; j--) {
                out.write(tmp[j]);
            }
        }
        return tag(0x06, out.toByteArray());
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }
}
