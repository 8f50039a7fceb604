package io.flotilla.gateway.ca;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.MessageDigest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JoinTokensTest {

    @Test
    void tokensHaveSwarmsFormAndCarryTheCaDigest() throws Exception {
        ClusterCa ca = ClusterCa.generate();
        assertTrue(ca.certPem().startsWith("-----BEGIN CERTIFICATE-----"));
        assertTrue(ca.keyPem().contains("PRIVATE KEY"));
        String worker = JoinTokens.generate(ca.certPem());
        String manager = JoinTokens.generate(ca.certPem());
        assertTrue(JoinTokens.FORMAT.matcher(worker).matches(), worker);
        assertTrue(JoinTokens.FORMAT.matcher(manager).matches(), manager);
        assertNotEquals(worker, manager);
        String digest = worker.split("-")[2];
        assertEquals(digest, manager.split("-")[2]);
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(ClusterCa.der(ca.certPem()));
        assertEquals(new BigInteger(1, sha), new BigInteger(digest, 36));
        String rotated = JoinTokens.rotate(ca.certPem());
        assertEquals(digest, rotated.split("-")[2]);
        assertNotEquals(worker.split("-")[3], rotated.split("-")[3]);
    }

    @Test
    void differentCasGiveDifferentDigests() {
        assertNotEquals(JoinTokens.caDigest(ClusterCa.generate().certPem()), JoinTokens.caDigest(ClusterCa.generate().certPem()));
    }
}
