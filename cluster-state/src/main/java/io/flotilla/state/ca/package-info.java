/**
 * The cluster CA: the certificates it issues (node certificates at join and on renewal, each manager's
 * server certificate for 2377, the root of a new cluster), written with the JDK alone, and the Cluster
 * object that holds the CA's certificate and key in the replicated store (so every manager can sign, as
 * Swarm's managers can). See cluster-state/design/tls.md.
 */
package io.flotilla.state.ca;
