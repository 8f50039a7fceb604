package io.flotilla.agent.swarm;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;

/** Certificates for tests, as a swarm's CA would make them (BouncyCastle: the agent's own code never signs). */
public final class TestCa {
    private TestCa() {
    }

    /** A key and a certificate for it. */
    public record Issued(KeyPair key, X509Certificate cert) {
        public String certPem() {
            return pem(cert);
        }
    }

    /** A self-signed CA. */
    public static Issued ca(String cn) throws Exception {
        KeyPair kp = NodeIdentity.newKeyPair();
        X500Name name = new X500Name("CN=" + cn);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000), name, kp.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        return new Issued(kp, sign(b, kp));
    }

    /** A new key with a certificate from ca for subject (e.g. "O=c1,OU=swarm-manager,CN=n1"), 127.0.0.1 as its name if asked. */
    public static Issued issue(Issued ca, String subject, boolean loopbackName) throws Exception {
        KeyPair kp = NodeIdentity.newKeyPair();
        return new Issued(kp, issue(ca, subject, kp.getPublic(), loopbackName));
    }

    /** A certificate from ca for an existing key. */
    public static X509Certificate issue(Issued ca, String subject, PublicKey key, boolean loopbackName) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(ca.cert.getSubjectX500Principal().getName()),
                BigInteger.valueOf(System.nanoTime()), new Date(System.currentTimeMillis() - 60_000),
                new Date(System.currentTimeMillis() + 86_400_000), new X500Name(subject), key);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        if (loopbackName) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        }
        return sign(b, ca.key);
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair signer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    public static String pem(X509Certificate c) {
        try {
            return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(c.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
