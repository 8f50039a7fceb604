package io.flotilla.contracts;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A TLS key manager that presents one identity, this node's: its only alias is "node", for a key type that is its key's
 * algorithm, and none while the node has no identity. It holds the key itself, so a TLS context made with it puts the key
 * into no key store (Netty's own would seal it with PBKDF2, 10,000 rounds, on every new context, to unseal it at once).
 */
public final class NodeKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "node";

    /** A key and the certificate chain that goes with it (this node's certificate first). */
    public record Identity(PrivateKey key, X509Certificate[] chain) {
    }

    private final Supplier<Identity> identity;

    /** @param identity the node's identity as it is now (read again at each handshake), or null while it has none */
    public NodeKeyManager(Supplier<Identity> identity) {
        this.identity = identity;
    }

    /** One fixed identity. */
    public static NodeKeyManager of(PrivateKey key, X509Certificate[] chain) {
        Identity fixed = new Identity(key, chain.clone());
        return new NodeKeyManager(() -> fixed);
    }

    private String aliasFor(String... keyTypes) {
        Identity i = identity.get();
        return i != null && keyTypes != null && Arrays.asList(keyTypes).contains(i.key().getAlgorithm()) ? ALIAS : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return aliasFor(keyType) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return aliasFor(keyTypes);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyTypes);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Identity i = ALIAS.equals(alias) ? identity.get() : null;
        return i == null ? null : i.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Identity i = ALIAS.equals(alias) ? identity.get() : null;
        return i == null ? null : i.key();
    }
}
