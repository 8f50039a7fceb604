/**
 * The executor's adapter to dockerd through docker-java: {@link io.flotilla.agent.docker.DockerContainerRuntime}
 * (create, start, stop, remove, inspect; never pull), {@link io.flotilla.agent.docker.DockerEventWatcher}
 * (die events of task containers, re-subscribed when the stream breaks) and the CDI bean
 * {@link io.flotilla.agent.docker.DockerTaskExecutor} that wires them to the engine-neutral
 * {@link io.flotilla.agent.exec.TaskReconciler}.
 */
package io.flotilla.agent.docker;
