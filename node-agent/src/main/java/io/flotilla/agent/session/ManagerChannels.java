package io.flotilla.agent.session;

import io.flotilla.agent.swarm.NodeIdentity;
import io.flotilla.contracts.ClientWarmUp;
import io.flotilla.contracts.ManagerAddress;
import io.flotilla.contracts.SwarmCertificates;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Channels to a manager's 2377 (cluster-state/design/tls.md):
 * <ul>
 * <li>{@link #session}: mutual TLS with this node's key and certificate, the manager checked against the
 * swarm's CA kept on disk (and its certificate's names against the address).</li>
 * <li>{@link #join}: TLS without a client certificate (the token authenticates the join); the manager is
 * checked against the CA digest the join token carries, as Swarm's joining node does: its certificate must
 * be a manager's (OU swarm-manager), signed by a CA in the chain it shows whose digest is the token's.</li>
 * </ul>
 * With plain text (FLOTILLA_PLAINTEXT, tests only) both are plain.
 */
public final class ManagerChannels {
    private final NodeIdentity identity;   // null: plain text

    private ManagerChannels(NodeIdentity identity) {
        this.identity = identity;
    }

    public static ManagerChannels tls(NodeIdentity identity) {
        return new ManagerChannels(identity);
    }

    public static ManagerChannels plaintext() {
        return new ManagerChannels(null);
    }

    public boolean plaintextOnly() {
        return identity == null;
    }

    /** The channel of a session with the manager at addr (ip[:port], port 2377 by default). */
    public ManagedChannel session(String addr) {
        NettyChannelBuilder b = builder(addr);
        if (identity == null) {
            return b.usePlaintext().build();
        }
        try {
            // the key and certificate read with the JDK and given as a key manager (SwarmCertificates), not through
            // Netty's PEM path and key store: a swarm init's first session waited for BouncyCastle's signed jars to be
            // verified (its PEM parser) and for PBKDF2 (the key store)
            SslContext ctx = GrpcSslContexts.forClient().trustManager(identity.caPath().toFile())
                    .keyManager(SwarmCertificates.keyManager(identity.keyPath(), identity.certificatePath())).build();
            return b.sslContext(ctx).build();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot use this node's certificate (" + identity.dir() + "): " + e.getMessage(), e);
        }
    }

    /**
     * The channel of a join at addr with token: the manager must show a certificate of the CA whose digest the
     * token carries. A token without the SWMTKN-1-digest-secret form cannot be checked: {@link InvalidToken}.
     */
    public ManagedChannel join(String addr, String token) {
        NettyChannelBuilder b = builder(addr);
        if (identity == null) {
            return b.usePlaintext().build();
        }
        String digest = NodeIdentity.tokenDigest(token);
        if (digest.isEmpty()) {
            throw new InvalidToken();
        }
        try {
            return b.sslContext(joinContext(digest)).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot make the TLS context of a join: " + e.getMessage(), e);
        }
    }

    /**
     * What a first join's TLS does before the manager answers, done ahead without a peer: the join's TLS context,
     * an engine of it and its first handshake record (the ClientHello, with its key share) written into a buffer
     * and dropped. In a new JVM this is most of a first join's time on the agent: the security providers are
     * loaded then (a signed jar's verification among them). Nothing is sent. Plain text: nothing to do.
     */
    public void warmUpTls() throws SSLException {
        if (identity == null) {
            return;
        }
        ClientWarmUp.clientHello(joinContext("0".repeat(50)));
    }

    /** The TLS context of a join: the manager checked against the CA whose digest the token carries. */
    private static SslContext joinContext(String digest) throws SSLException {
        return GrpcSslContexts.forClient().trustManager(new PinnedCa(digest)).build();
    }

    static NettyChannelBuilder builder(String addr) {
        ManagerAddress.HostPort a = ManagerAddress.parse(addr, ManagerAddress.PORT);
        return NettyChannelBuilder.forAddress(a.host(), a.port());
    }

    /** A join token without the CA digest to check the manager by. */
    public static final class InvalidToken extends IllegalArgumentException {
        InvalidToken() {
            super("invalid join token");
        }
    }

    /** The manager showed a CA other than the token's. */
    public static final class CaMismatch extends CertificateException {
        CaMismatch(String expected) {
            super("remote CA does not match fingerprint. Expected: " + expected);
        }
    }

    /**
     * Trusts a server whose certificate is a manager's, signed by a CA in its chain with the given digest. No
     * host name check: the pinned CA is what identifies the swarm (the address is the one the user typed).
     */
    static final class PinnedCa extends X509ExtendedTrustManager {
        private final String digest;

        PinnedCa(String digest) {
            this.digest = digest;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the manager showed no certificate");
            }
            X509Certificate ca = null;
            for (X509Certificate c : chain) {
                if (NodeIdentity.caDigest(c).equals(digest)) {
                    ca = c;
                    break;
                }
            }
            if (ca == null) {
                throw new CaMismatch(digest);
            }
            X509Certificate leaf = chain[0];
            try {
                leaf.verify(ca.getPublicKey());
            } catch (java.security.GeneralSecurityException e) {
                throw new CertificateException("the manager's certificate is not signed by the swarm's CA", e);
            }
            leaf.checkValidity();
            if (!NodeIdentity.isManager(leaf)) {
                throw new CertificateException("the certificate shown is not a manager's: " + leaf.getSubjectX500Principal());
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a joining node does not check clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a joining node does not check clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a joining node does not check clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
