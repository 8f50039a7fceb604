package io.flotilla.agent.exec;

import java.util.List;
import java.util.Map;

/**
 * The container to create for a task, in engine-neutral terms (Swarm's mapping: the spec's command is
 * the entrypoint, its args are the command). Empty strings and zero limits mean "image default".
 */
public record ContainerConfig(String name, String image, List<String> entrypoint, List<String> cmd,
                              List<String> env, Map<String, String> labels, String hostname,
                              String workingDir, String user, boolean tty, long memoryBytes, long nanoCpus,
                              String networkMode, List<HostPort> hostPorts) {

    /** A port published on this host only ({@code --publish mode=host}); published 0: the engine picks one. */
    public record HostPort(String protocol, int target, int published) {
    }

    public ContainerConfig(String name, String image, List<String> entrypoint, List<String> cmd, List<String> env,
                           Map<String, String> labels, String hostname, String workingDir, String user,
                           boolean tty, long memoryBytes, long nanoCpus, String networkMode) {
        this(name, image, entrypoint, cmd, env, labels, hostname, workingDir, user, tty, memoryBytes, nanoCpus,
                networkMode, List.of());
    }

    public ContainerConfig {
        hostPorts = List.copyOf(hostPorts);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
        labels = Map.copyOf(labels);
    }

    /** The same container with another image reference (e.g. the local form of a digest reference). */
    public ContainerConfig withImage(String otherImage) {
        return new ContainerConfig(name, otherImage, entrypoint, cmd, env, labels, hostname, workingDir, user,
                tty, memoryBytes, nanoCpus, networkMode, hostPorts);
    }
}
