/**
 * The agent's end of the dispatcher session (DESIGN.md, control loop step 5): while this host is a
 * swarm member, one gRPC stream to a manager on 2377 that registers the node, heartbeats at the period
 * the manager gives, hands every assignment set to the TaskExecutor and every network plan to the
 * NetworkPlanSink (when the agent has one), and forwards the executor's task status. When the stream
 * breaks or the manager goes quiet, it moves to the next manager with a short backoff (100 ms doubling
 * to 2 s).
 */
package io.flotilla.agent.session;
