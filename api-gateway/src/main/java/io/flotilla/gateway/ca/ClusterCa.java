package io.flotilla.gateway.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * A cluster's root CA: a self-signed EC P-256 certificate named CN=swarm-ca (as Swarm names its root),
 * valid 20 years (Swarm's root CA lifetime), with its PKCS#8 key, both PEM.
 */
public record ClusterCa(String certPem, String keyPem) {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static ClusterCa generate() {
        KeyPair kp = newKey();
        try {
            return new ClusterCa(pem(selfSigned(kp)), pem(kp.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the cluster CA: " + e.getMessage(), e);
        }
    }

    /**
     * A throwaway CA of the same kind, with its key in PKCS#8 PEM ("PRIVATE KEY", as a node's identity file holds
     * its key) rather than OpenSSL's form: for a warm-up that reads it as the store client reads the identity.
     */
    public static ClusterCa withPkcs8Key() {
        KeyPair kp = newKey();
        try {
            return new ClusterCa(pem(selfSigned(kp)), pem(new PemObject("PRIVATE KEY", kp.getPrivate().getEncoded())));
        } catch (Exception e) {
            throw new IllegalStateException("cannot create a CA: " + e.getMessage(), e);
        }
    }

    private static KeyPair newKey() {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return kpg.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot create an EC key: " + e.getMessage(), e);
        }
    }

    private static X509CertificateHolder selfSigned(KeyPair kp) throws Exception {
        X500Name name = new X500Name("CN=swarm-ca");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                new BigInteger(127, RANDOM), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(20 * 365))), name, kp.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
        return builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
    }

    /** The DER bytes of a PEM certificate. */
    public static byte[] der(String certPem) {
        try {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(certPem.getBytes(StandardCharsets.US_ASCII)));
            return cert.getEncoded();
        } catch (Exception e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static String pem(Object o) throws java.io.IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        return out.toString();
    }
}
