package io.flotilla.state.tls;

import io.flotilla.contracts.v1.ApplyRequest;
import io.flotilla.contracts.v1.ApplyResponse;
import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.ChangeResult;
import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.state.ca.Clusters;
import io.flotilla.state.ca.NodeCertificates;
import io.flotilla.state.store.StateStore;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.Socket;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * This manager's TLS on 2377, from the cluster CA in the replicated store (every manager holds the CA's key,
 * as Swarm's managers do, so each issues its own server certificate):
 * <ul>
 * <li>{@link #refresh()}, run at start until it succeeds and then now and again: when the store has no
 * cluster yet and this manager leads (a new swarm), it creates the Cluster object with a new root CA; it
 * issues this manager's server certificate (a new key each time, kept in memory; SANs: the advertised
 * address, 127.0.0.1, localhost and any configured names) and again when two thirds of its validity are
 * gone or the CA changed; and it writes this node's own identity files when they are missing or not of
 * this CA ({@link LocalIdentity}: how the node that founds a swarm gets its certificate).</li>
 * <li>the key manager serves the current certificate; the trust manager accepts client certificates that
 * chain to the cluster CA. Before the first refresh succeeds there is neither: handshakes fail.</li>
 * </ul>
 * Client certificates are requested, not required: Join comes without one; {@link CallerIdentity} refuses
 * every other call that has none.
 */
public final class ManagerTls {
    private static final Logger LOG = Logger.getLogger(ManagerTls.class);

    /**
     * @param nodeId        this manager's node id (CN of its certificates)
     * @param advertiseAddr the address other nodes reach it at
     * @param extraNames    more names or addresses for the server certificate
     * @param local         this node's identity files, or null
     * @param createCa      whether a leader that finds no cluster creates it with a new CA
     */
    public record Settings(String nodeId, String advertiseAddr, List<String> extraNames, LocalIdentity local,
                           boolean createCa) {
    }

    /** The certificate served and the CA trusted, issued together. */
    private record Material(String alias, String caPem, X509Certificate ca, PrivateKey key, X509Certificate[] chain,
                            X509TrustManager trust, long renewAtMs) {
    }

    private final StateStore store;
    private final Settings settings;
    private final LongSupplier clock;
    private final X509ExtendedKeyManager keyManager = new KeyManager();
    private final X509ExtendedTrustManager trustManager = new TrustManager();
    private volatile Material current;
    private volatile Material previous;   // still served to a handshake that chose its alias before a swap
    private int generation;
    private String lastFailure = "";
    private SslContext serverContext;

    public ManagerTls(StateStore store, Settings settings, LongSupplier clockMs) {
        this.store = store;
        this.settings = settings;
        this.clock = clockMs;
    }

    /** The server certificate's names: the advertised address, loopback, and the configured ones. */
    List<String> serverNames() {
        Set<String> names = new LinkedHashSet<>();
        if (settings.advertiseAddr() != null && !settings.advertiseAddr().isBlank()) {
            names.add(settings.advertiseAddr().trim());
        }
        names.add("127.0.0.1");
        names.add("localhost");
        for (String n : settings.extraNames()) {
            if (!n.isBlank()) {
                names.add(n.trim());
            }
        }
        return new ArrayList<>(names);
    }

    /**
     * One step (see the class comment). Returns whether this manager can serve TLS now. Never throws: a failure
     * is logged and the next step tries again.
     */
    public synchronized boolean refresh() {
        try {
            Optional<Cluster> cluster = withCa();
            if (cluster.isEmpty() && settings.createCa()) {
                // a new swarm: its certificates are issued in this same step (a swarm init waits for them)
                createCluster();
                cluster = withCa();
            }
            if (cluster.isEmpty()) {
                return false;
            }
            Cluster c = cluster.get();
            lastFailure = "";
            long now = clock.getAsLong();
            Material m = current;
            if (m == null || !m.caPem.equals(c.getCaCertPem()) || now >= m.renewAtMs) {
                issue(c, now);
            }
            if (settings.local() != null) {
                settings.local().ensure(c, settings.nodeId(), now);
            }
            return true;
        } catch (RuntimeException e) {
            String why = e.toString();
            if (!why.equals(lastFailure)) {   // once per cause: a store still starting fails each step alike
                LOG.warnf("TLS on 2377 not ready: %s", why);
            }
            lastFailure = why;
            return current != null;
        }
    }

    /** The swarm's Cluster object, once it has its CA. */
    private Optional<Cluster> withCa() {
        return Clusters.current(store).filter(c -> !c.getCaCertPem().isEmpty() && !c.getCaKeyPem().isEmpty());
    }

    /** Whether a server certificate is in place. */
    public boolean ready() {
        return current != null;
    }

    /** The CA the current server certificate chains to. */
    public Optional<X509Certificate> ca() {
        Material m = current;
        return m == null ? Optional.empty() : Optional.of(m.ca);
    }

    /** The server certificate being served (its leaf). */
    public Optional<X509Certificate> serverCertificate() {
        Material m = current;
        return m == null ? Optional.empty() : Optional.of(m.chain[0]);
    }

    /** A leader that finds no cluster (a new swarm) creates it, with a new root CA; the gateway adds the tokens. */
    private void createCluster() throws RuntimeException {
        if (!store.isLeader()) {
            return;
        }
        try {
            // everything committed applied here first: "no cluster" must not be a lagging view
            store.readBarrier().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("read barrier: " + e.getMessage(), e);
        }
        if (Clusters.current(store).isPresent()) {
            return;
        }
        long now = clock.getAsLong();
        NodeCertificates.Authority root = NodeCertificates.newRoot(now);
        Cluster cluster = Cluster.newBuilder().setMeta(Meta.newBuilder().setCreatedAtMs(now).setUpdatedAtMs(now))
                .setName("default").setCaCertPem(root.certPem()).setCaKeyPem(root.keyPem()).build();
        ApplyResponse r;
        try {
            r = store.apply(ApplyRequest.newBuilder().addChanges(Change.newBuilder().setOp(Op.OP_CREATE)
                    .setKind(Kind.KIND_CLUSTER).setObject(StoredObject.newBuilder().setCluster(cluster))).build())
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the cluster: " + e.getMessage(), e);
        }
        if (r.getOutcomesCount() > 0 && r.getOutcomes(0).getResult() == ChangeResult.RESULT_OK) {
            LOG.infof("new swarm: created cluster %s with a new root CA", r.getOutcomes(0).getId());
        }
    }

    private void issue(Cluster c, long now) {
        try {
            X509Certificate ca = NodeCertificates.parseCertificate(c.getCaCertPem());
            KeyPair kp = NodeCertificates.newKeyPair();
            String pem = NodeCertificates.issueServer(c.getCaCertPem(), c.getCaKeyPem(), kp.getPublic().getEncoded(),
                    settings.nodeId(), c.getMeta().getId(), serverNames(), now);
            X509Certificate leaf = NodeCertificates.parseCertificate(pem);
            long from = leaf.getNotBefore().getTime();
            long renewAt = from + (leaf.getNotAfter().getTime() - from) * 2 / 3;
            previous = current;
            current = new Material("flotilla-" + (++generation), c.getCaCertPem(), ca, kp.getPrivate(),
                    new X509Certificate[]{leaf, ca}, trustOnly(ca), renewAt);
            LOG.infof("2377: server certificate for node %s (%s), valid until %s", settings.nodeId(),
                    String.join(", ", serverNames()), leaf.getNotAfter().toInstant());
        } catch (Exception e) {
            throw new IllegalStateException("cannot issue the server certificate: " + e.getMessage(), e);
        }
    }

    /** A PKIX trust manager with one anchor. */
    static X509TrustManager trustOnly(X509Certificate ca) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("cluster-ca", ca);
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(ks);
        for (javax.net.ssl.TrustManager t : f.getTrustManagers()) {
            if (t instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new IllegalStateException("no X509 trust manager");
    }

    /** The Netty server context of 2377: this manager's certificate, client certificates requested. */
    public synchronized SslContext serverContext() {
        if (serverContext == null) {
            try {
                serverContext = GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager), SslProvider.JDK)
                        .trustManager(trustManager).clientAuth(ClientAuth.OPTIONAL).build();
            } catch (SSLException e) {
                throw new IllegalStateException("cannot make the TLS context of 2377: " + e.getMessage(), e);
            }
        }
        return serverContext;
    }

    private Material byAlias(String alias) {
        Material m = current;
        if (m != null && m.alias.equals(alias)) {
            return m;
        }
        Material p = previous;
        return p != null && p.alias.equals(alias) ? p : null;
    }

    /** Serves the current server certificate (EC keys only). */
    private final class KeyManager extends X509ExtendedKeyManager {
        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return chooseServerAlias(keyType, issuers, null);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            Material m = current;
            return m != null && keyType != null && keyType.startsWith("EC") ? m.alias : null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            String a = chooseServerAlias(keyType, issuers, null);
            return a == null ? null : new String[]{a};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            Material m = byAlias(alias);
            return m == null ? null : m.chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            Material m = byAlias(alias);
            return m == null ? null : m.key;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    /** Accepts client certificates that chain to the current cluster CA. */
    private final class TrustManager extends X509ExtendedTrustManager {
        private X509TrustManager delegate() throws CertificateException {
            Material m = current;
            if (m == null) {
                throw new CertificateException("this manager has no cluster CA yet");
            }
            return m.trust;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a server does not check servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a server does not check servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a server does not check servers");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            Material m = current;
            return m == null ? new X509Certificate[0] : new X509Certificate[]{m.ca};
        }
    }
}
