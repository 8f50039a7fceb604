package io.flotilla.state.tls;

import io.flotilla.contracts.NodeKeyManager;
import io.flotilla.state.ca.NodeCertificates;
import org.jgroups.util.DefaultSocketFactory;
import org.jgroups.util.SocketFactory;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Mutual TLS between managers on the Raft port (7946): the JGroups TCP transport's sockets are TLS sockets
 * that present this node's identity (node-agent's certificates directory: a manager certificate of the
 * cluster CA) and accept only a peer whose certificate chains to the same CA and names a manager
 * (OU swarm-manager), in both directions.
 *
 * <p>The identity comes from disk, not from the store: a whole group restarted at once must reach a quorum
 * before any store read. The files are read again at the next handshake once they change (a founding
 * manager writes them after it created the CA; a renewal replaces them). Until they exist, every handshake
 * fails: a founding manager alone has no peer to talk to.
 */
public final class PeerTls {
    private final Path cert;
    private final Path key;
    private final Path ca;
    private volatile Identity identity;

    private record Identity(long stamp, X509Certificate[] chain, PrivateKey key, X509TrustManager trust) {
    }

    public PeerTls(Path cert, Path key, Path ca) {
        this.cert = cert;
        this.key = key;
        this.ca = ca;
    }

    /** A socket factory for JGroups' TCP transport: TLS sockets, client certificates required. */
    public SocketFactory socketFactory() {
        try {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(new KeyManager[]{new NodeKeyManager(this::keys)}, new TrustManager[]{new Peers()}, null);
            DefaultSocketFactory factory = new DefaultSocketFactory(context);
            factory.setServerSocketConfigurator(s -> ((SSLServerSocket) s).setNeedClientAuth(true));
            return factory;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the TLS context of the Raft port: " + e.getMessage(), e);
        }
    }

    /** This node's identity as on disk now (read again when a file changed). */
    private Identity identity() throws CertificateException {
        try {
            long stamp = Files.getLastModifiedTime(cert).toMillis() ^ Files.getLastModifiedTime(key).toMillis() * 31
                    ^ Files.getLastModifiedTime(ca).toMillis() * 961;
            Identity current = identity;
            if (current != null && current.stamp == stamp) {
                return current;
            }
            X509Certificate leaf = NodeCertificates.parseCertificate(Files.readString(cert, StandardCharsets.US_ASCII));
            X509Certificate root = NodeCertificates.parseCertificate(Files.readString(ca, StandardCharsets.US_ASCII));
            PrivateKey privateKey = NodeCertificates.privateKey(Files.readString(key, StandardCharsets.US_ASCII));
            current = new Identity(stamp, new X509Certificate[]{leaf, root}, privateKey, ManagerTls.trustOnly(root));
            identity = current;
            return current;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CertificateException("this node has no identity yet (" + e.getFile() + ")");
        } catch (CertificateException e) {
            throw e;
        } catch (Exception e) {
            throw new CertificateException("cannot read this node's identity: " + e.getMessage(), e);
        }
    }

    /** This node's key and chain for the handshake, or none while it has no identity (the handshake fails). */
    private NodeKeyManager.Identity keys() {
        try {
            Identity i = identity();
            return new NodeKeyManager.Identity(i.key, i.chain);
        } catch (CertificateException e) {
            return null;
        }
    }

    /** The peer's chain ends at this node's CA and its certificate is a manager's. */
    private void checkPeer(X509Certificate[] chain, String authType, boolean peerIsClient) throws CertificateException {
        X509TrustManager trust = identity().trust;
        if (peerIsClient) {
            trust.checkClientTrusted(chain, authType);
        } else {
            trust.checkServerTrusted(chain, authType);
        }
        String ou = NodeCertificates.attribute(chain[0].getSubjectX500Principal(), "OU").orElse("");
        if (!NodeCertificates.MANAGER_OU.equals(ou)) {
            throw new CertificateException("the Raft port talks to managers only, not to " + chain[0].getSubjectX500Principal());
        }
    }

    private final class Peers extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkPeer(chain, authType, true);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkPeer(chain, authType, true);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkPeer(chain, authType, true);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkPeer(chain, authType, false);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkPeer(chain, authType, false);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkPeer(chain, authType, false);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return new X509Certificate[]{identity().chain[1]};
            } catch (CertificateException e) {
                return new X509Certificate[0];
            }
        }
    }
}
