package io.flotilla.agent.supervisor;

/**
 * How this host's manager services were started: the node's id, the address other managers reach it at
 * (no port), and whether it founded a new cluster (a Raft group of one) or joined an existing one.
 */
public record Launch(String nodeId, String advertiseAddr, boolean bootstrap) {
}
