package io.flotilla.state.tls;

import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.state.ca.NodeCertificates;

import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Who calls on 2377, as its client certificate (verified against the cluster CA during the handshake) says:
 * the node id (CN) and its role (OU swarm-manager or swarm-worker).
 *
 * @param certificate the certificate presented (its public key is the node's)
 */
public record Caller(String nodeId, NodeRole role, X509Certificate certificate) {

    /** The caller a certificate names, or empty when it names no node of a role (no CN, another OU). */
    public static Optional<Caller> of(X509Certificate cert) {
        Optional<String> cn = NodeCertificates.attribute(cert.getSubjectX500Principal(), "CN");
        Optional<String> ou = NodeCertificates.attribute(cert.getSubjectX500Principal(), "OU");
        if (cn.isEmpty() || cn.get().isEmpty() || ou.isEmpty()) {
            return Optional.empty();
        }
        return switch (ou.get()) {
            case NodeCertificates.MANAGER_OU -> Optional.of(new Caller(cn.get(), NodeRole.ROLE_MANAGER, cert));
            case NodeCertificates.WORKER_OU -> Optional.of(new Caller(cn.get(), NodeRole.ROLE_WORKER, cert));
            default -> Optional.empty();
        };
    }

    public boolean manager() {
        return role == NodeRole.ROLE_MANAGER;
    }
}
