/**
 * The node's task executor, engine-neutral (swarmkit's agent/exec): {@link io.flotilla.agent.exec.TaskDecider}
 * decides from desired and observed state what to do for one task, {@link io.flotilla.agent.exec.TaskReconciler}
 * runs that per task id behind a de-duplicating {@link io.flotilla.agent.exec.KeyedWorkQueue} and reports
 * Swarm's task states; the engine is behind {@link io.flotilla.agent.exec.ContainerRuntime}, the networks behind
 * {@link io.flotilla.agent.exec.TaskNetworking}. No docker-java or Quarkus types here.
 */
package io.flotilla.agent.exec;
