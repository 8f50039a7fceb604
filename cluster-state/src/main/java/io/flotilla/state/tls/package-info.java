/**
 * Mutual TLS on the managers' port 2377 (cluster-state/design/tls.md): the server certificate each manager
 * issues itself from the cluster CA in the store ({@link io.flotilla.state.tls.ManagerTls}), the identity of
 * every caller from its client certificate ({@link io.flotilla.state.tls.CallerIdentity}) and who may call
 * what ({@link io.flotilla.state.tls.AccessPolicy}): a node acts only as itself.
 */
package io.flotilla.state.tls;
