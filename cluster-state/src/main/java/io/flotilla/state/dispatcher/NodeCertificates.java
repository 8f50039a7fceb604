package io.flotilla.state.dispatcher;

import io.flotilla.contracts.v1.NodeRole;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * Node certificates signed by the cluster CA, as Swarm issues them: subject CN = the node id,
 * OU = swarm-worker or swarm-manager, O = the cluster id; EC P-256 keys, ecdsa-with-SHA256, valid 90
 * days (Swarm's default node certificate expiry). The node sends only its public key; the private key
 * never leaves it. Written with the JDK alone (a small DER writer): cluster-state carries no
 * BouncyCastle.
 */
public final class NodeCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();
    static final long VALIDITY_MS = 90L * 24 * 3600 * 1000;
    private static final byte[] OID_ECDSA_SHA256 = oid(1, 2, 840, 10045, 4, 3, 2);
    private static final byte[] OID_EC_PUBLIC_KEY = oid(1, 2, 840, 10045, 2, 1);
    private static final byte[] OID_P256 = oid(1, 2, 840, 10045, 3, 1, 7);
    private static final byte[] OID_CN = oid(2, 5, 4, 3);
    private static final byte[] OID_OU = oid(2, 5, 4, 11);
    private static final byte[] OID_O = oid(2, 5, 4, 10);
    private static final byte[] OID_BASIC_CONSTRAINTS = oid(2, 5, 29, 19);
    private static final byte[] OID_KEY_USAGE = oid(2, 5, 29, 15);

    private NodeCertificates() {
    }

    public static String organizationalUnit(NodeRole role) {
        return role == NodeRole.ROLE_MANAGER ? "swarm-manager" : "swarm-worker";
    }

    /** Signs a certificate for publicKeyDer (X.509 SubjectPublicKeyInfo) with the CA; returns it as PEM. */
    public static String issue(String caCertPem, String caKeyPem, byte[] publicKeyDer, String nodeId, NodeRole role,
                               String clusterId, long nowMs) {
        try {
            X509Certificate ca = parseCertificate(caCertPem);
            // the key must be a key: refuse garbage before signing it
            KeyFactory.getInstance("EC").generatePublic(new java.security.spec.X509EncodedKeySpec(publicKeyDer));
            byte[] issuer = ca.getSubjectX500Principal().getEncoded();
            byte[] subject = seq(
                    set(seq(OID_O, utf8(clusterId))),
                    set(seq(OID_OU, utf8(organizationalUnit(role)))),
                    set(seq(OID_CN, utf8(nodeId))));
            byte[] sigAlg = seq(OID_ECDSA_SHA256);
            byte[] extensions = tag(0xA3, seq(
                    seq(OID_BASIC_CONSTRAINTS, new byte[]{0x01, 0x01, (byte) 0xFF}, octets(seq())),
                    // digitalSignature | keyEncipherment
                    seq(OID_KEY_USAGE, new byte[]{0x01, 0x01, (byte) 0xFF}, octets(new byte[]{0x03, 0x02, 0x05, (byte) 0xA0}))));
            byte[] tbs = seq(
                    tag(0xA0, integer(BigInteger.valueOf(2))),
                    integer(new BigInteger(127, RANDOM)),
                    sigAlg,
                    issuer,
                    seq(time(nowMs - 3600_000), time(nowMs + VALIDITY_MS)),
                    subject,
                    publicKeyDer,
                    extensions);
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(privateKey(caKeyPem));
            s.update(tbs);
            byte[] sig = s.sign();
            byte[] bitString = new byte[sig.length + 1];
            System.arraycopy(sig, 0, bitString, 1, sig.length);
            byte[] cert = seq(tbs, sigAlg, tag(0x03, bitString));
            return pem("CERTIFICATE", cert);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot issue a certificate: " + e.getMessage(), e);
        }
    }

    public static X509Certificate parseCertificate(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The CA key: PKCS#8 ("PRIVATE KEY") or OpenSSL's SEC1 ("EC PRIVATE KEY", P-256) as BouncyCastle writes it. */
    static PrivateKey privateKey(String pem) throws Exception {
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

    static String pem(String type, byte[] der) {
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
