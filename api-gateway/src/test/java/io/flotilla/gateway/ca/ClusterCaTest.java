package io.flotilla.gateway.ca;

import io.flotilla.contracts.SwarmCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterCaTest {
    @TempDir
    Path dir;

    @Test
    void aCaWithAPkcs8KeyReadsAsANodesIdentityFilesDo() throws Exception {
        ClusterCa ca = ClusterCa.withPkcs8Key();
        assertTrue(ca.keyPem().startsWith("-----BEGIN PRIVATE KEY-----\n"), ca.keyPem());
        Path key = Files.writeString(dir.resolve("k.pem"), ca.keyPem());
        Path cert = Files.writeString(dir.resolve("c.pem"), ca.certPem());
        X509Certificate[] chain = SwarmCertificates.certificates(cert);
        assertEquals(1, chain.length);
        assertEquals("CN=swarm-ca", chain[0].getSubjectX500Principal().getName());
        // the key is the certificate's: what it signs, the certificate's public key verifies
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(SwarmCertificates.privateKey(key));
        signer.update(new byte[] {1, 2, 3});
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(chain[0].getPublicKey());
        verifier.update(new byte[] {1, 2, 3});
        assertTrue(verifier.verify(signature));
    }

    @Test
    void theClusterCaKeepsItsKeyInOpenSslsForm() {
        assertTrue(ClusterCa.generate().keyPem().startsWith("-----BEGIN EC PRIVATE KEY-----"));
    }
}
