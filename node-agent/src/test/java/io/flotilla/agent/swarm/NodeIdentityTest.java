package io.flotilla.agent.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeIdentityTest {

    @Test
    void theTokensDigestPartIsReadAndOnlyFromSwarmsForm() {
        String d = "4md6t8rwo3bnfamq0xqka6djbe3fybxpxz8k846ja1ef9tqic9";
        assertEquals(d, NodeIdentity.tokenDigest("SWMTKN-1-" + d + "-c2sczhqx5sh83iwc1ryvpduxc"));
        assertEquals("", NodeIdentity.tokenDigest("not-a-token"));
    }

    @Test
    void theKeyIsKeptPrivateAndWipedOnLeave(@TempDir Path dir) throws Exception {
        NodeIdentity id = new NodeIdentity(dir);
        KeyPair k = NodeIdentity.newKeyPair();
        id.store(k, "CERT", "CA");
        assertTrue(Files.readString(id.dir().resolve("swarm-node.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(id.dir().resolve("swarm-node.key"))));
        assertTrue(id.present());
        id.wipe();
        assertFalse(id.present());
    }

    @Test
    void aRenewedCertificateReplacesTheOldOnlyForTheSameKeyAndCa(@TempDir Path dir) throws Exception {
        TestCa.Issued ca = TestCa.ca("swarm-ca");
        TestCa.Issued worker = TestCa.issue(ca, "O=c1,OU=swarm-worker,CN=n1", false);
        NodeIdentity id = new NodeIdentity(dir);
        id.store(worker.key(), worker.certPem(), ca.certPem());
        assertFalse(id.managerReady(), "a worker's certificate");

        // the same key as a manager: kept
        String managerPem = TestCa.pem(TestCa.issue(ca, "O=c1,OU=swarm-manager,CN=n1", worker.key().getPublic(), false));
        id.replaceCertificate(managerPem);
        assertTrue(id.managerReady());
        assertEquals(worker.key().getPublic(), id.certificate().getPublicKey());

        // another key's certificate, or another CA's: refused, nothing changed
        TestCa.Issued stranger = TestCa.issue(ca, "O=c1,OU=swarm-manager,CN=n1", false);
        assertThrows(IOException.class, () -> id.replaceCertificate(stranger.certPem()));
        TestCa.Issued otherCa = TestCa.ca("swarm-ca");
        assertThrows(IOException.class, () -> id.replaceCertificate(TestCa.pem(
                TestCa.issue(otherCa, "O=c1,OU=swarm-manager,CN=n1", worker.key().getPublic(), false))));
        assertEquals(managerPem, Files.readString(id.certificatePath()));
    }

    @Test
    void aManagersIdentityIsReadyOnlyWithItsKeyAndTheSwarmsCa(@TempDir Path dir) throws Exception {
        TestCa.Issued ca = TestCa.ca("swarm-ca");
        TestCa.Issued manager = TestCa.issue(ca, "O=c1,OU=swarm-manager,CN=n1", false);
        NodeIdentity id = new NodeIdentity(dir);
        assertFalse(id.managerReady(), "nothing stored");
        id.store(manager.key(), manager.certPem(), ca.certPem());
        assertTrue(id.managerReady());
        Files.delete(id.caPath());
        assertFalse(id.managerReady(), "no CA");
        Files.writeString(id.caPath(), ca.certPem());
        Files.delete(id.keyPath());
        assertFalse(id.managerReady(), "no key");
    }
}
