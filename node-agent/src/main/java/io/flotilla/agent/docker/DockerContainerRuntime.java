package io.flotilla.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.Ports;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientConfigDelegate;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.flotilla.agent.exec.ContainerConfig;
import io.flotilla.agent.exec.ContainerRuntime;
import io.flotilla.agent.exec.ContainerRuntimeException;
import io.flotilla.agent.exec.ImageNotFoundException;
import io.flotilla.agent.exec.NameInUseException;
import io.flotilla.agent.exec.ObservedContainer;
import io.flotilla.agent.exec.TaskContainers;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@link ContainerRuntime} on a dockerd through docker-java. Never pulls. */
public final class DockerContainerRuntime implements ContainerRuntime {

    private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final DockerClient docker;

    public DockerContainerRuntime(DockerClient docker) {
        this.docker = docker;
    }

    /** A client for the dockerd behind a unix socket path (or a full unix:// or tcp:// address). */
    public static DockerClient connect(String socket) {
        return connect(socket, DockerClientConfig.getDefaultObjectMapper());
    }

    /**
     * The same, decoding the engine's answers with this mapper (docker-java's default config hands each client
     * a fresh copy of its mapper, whose deserializers a warm-up could not reach).
     */
    public static DockerClient connect(String socket, ObjectMapper mapper) {
        String host = socket.contains("://") ? socket : "unix://" + socket;
        DockerClientConfig config = new DockerClientConfigDelegate(DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host).withDockerTlsVerify(false).build()) {
            @Override
            public ObjectMapper getObjectMapper() {
                return mapper;
            }
        };
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .maxConnections(32)
                .connectionTimeout(Duration.ofSeconds(5))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    @Override
    public List<ObservedContainer> listTaskContainers(String nodeId) {
        List<Container> found = call(() -> docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(TaskContainers.LABEL_NODE_ID, nodeId)).exec());
        List<ObservedContainer> out = new ArrayList<>();
        for (Container c : found) {
            Map<String, String> labels = c.getLabels() == null ? Map.of() : c.getLabels();
            out.add(new ObservedContainer(c.getId(), labels.get(TaskContainers.LABEL_TASK_ID),
                    phase(c.getState()), 0, 0, 0, 0));
        }
        return out;
    }

    @Override
    public Optional<ObservedContainer> findByTask(String taskId) {
        List<Container> found = call(() -> docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(TaskContainers.LABEL_TASK_ID, taskId)).exec());
        Optional<Container> best = found.stream()
                .max(Comparator.comparing((Container c) -> phase(c.getState()) == ObservedContainer.Phase.RUNNING)
                        .thenComparing(c -> c.getCreated() == null ? 0L : c.getCreated()));
        return best.flatMap(c -> inspect(c.getId()));
    }

    @Override
    public Optional<ObservedContainer> inspect(String containerId) {
        InspectContainerResponse r;
        try {
            r = docker.inspectContainerCmd(containerId).exec();
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (DockerException e) {
            throw failure(e);
        }
        InspectContainerResponse.ContainerState s = r.getState();
        Map<String, String> labels = r.getConfig() == null || r.getConfig().getLabels() == null
                ? Map.of() : r.getConfig().getLabels();
        ObservedContainer.Phase phase = phase(s.getStatus());
        int exit = s.getExitCodeLong() == null ? 0 : s.getExitCodeLong().intValue();
        int pid = s.getPidLong() == null ? 0 : s.getPidLong().intValue();
        return Optional.of(new ObservedContainer(r.getId(), labels.get(TaskContainers.LABEL_TASK_ID), phase,
                exit, phase == ObservedContainer.Phase.RUNNING ? pid : 0, millis(s.getStartedAt()),
                millis(s.getFinishedAt())));
    }

    @Override
    public Optional<String> localImage(String image) {
        if (imagePresent(image)) {
            return Optional.of(image);
        }
        // a reference pinned by digest (name:tag@sha256:...) of an image made locally has no repo digest:
        // fall back to its name:tag, as dockerd does for a service created with --no-resolve-image
        int at = image.indexOf('@');
        if (at > 0 && imagePresent(image.substring(0, at))) {
            return Optional.of(image.substring(0, at));
        }
        return Optional.empty();
    }

    private boolean imagePresent(String ref) {
        try {
            docker.inspectImageCmd(ref).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (DockerException e) {
            throw failure(e);
        }
    }

    @Override
    public String create(ContainerConfig c) {
        HostConfig host = HostConfig.newHostConfig().withNetworkMode(c.networkMode());
        if (c.memoryBytes() > 0) {
            host.withMemory(c.memoryBytes());
        }
        if (c.nanoCpus() > 0) {
            host.withNanoCPUs(c.nanoCpus());
        }
        List<ExposedPort> exposed = new ArrayList<>();
        if (!c.hostPorts().isEmpty()) {
            Ports bindings = new Ports();
            for (ContainerConfig.HostPort p : c.hostPorts()) {
                ExposedPort e = new ExposedPort(p.target(), InternetProtocol.parse(p.protocol()));
                exposed.add(e);
                bindings.bind(e, p.published() > 0 ? Ports.Binding.bindPort(p.published()) : Ports.Binding.empty());
            }
            host.withPortBindings(bindings);
        }
        CreateContainerCmd cmd = docker.createContainerCmd(c.image()).withName(c.name()).withLabels(c.labels())
                .withEnv(c.env()).withTty(c.tty()).withHostConfig(host);
        if (!exposed.isEmpty()) {
            cmd.withExposedPorts(exposed);
        }
        if (!c.entrypoint().isEmpty()) {
            cmd.withEntrypoint(c.entrypoint());
        }
        if (!c.cmd().isEmpty()) {
            cmd.withCmd(c.cmd());
        }
        if (!c.hostname().isEmpty()) {
            cmd.withHostName(c.hostname());
        }
        if (!c.workingDir().isEmpty()) {
            cmd.withWorkingDir(c.workingDir());
        }
        if (!c.user().isEmpty()) {
            cmd.withUser(c.user());
        }
        try {
            return cmd.exec().getId();
        } catch (NotFoundException e) {
            throw new ImageNotFoundException(engineMessage(e), e);
        } catch (ConflictException e) {
            throw new NameInUseException(engineMessage(e), e);
        } catch (DockerException e) {
            throw failure(e);
        }
    }

    @Override
    public void start(String containerId) {
        try {
            docker.startContainerCmd(containerId).exec();
        } catch (NotModifiedException e) {
            // already running
        } catch (DockerException e) {
            throw failure(e);
        }
    }

    @Override
    public void stop(String containerId, int graceSeconds) {
        try {
            docker.stopContainerCmd(containerId).withTimeout(graceSeconds).exec();
        } catch (NotFoundException | NotModifiedException e) {
            // gone or stopped already
        } catch (DockerException e) {
            throw failure(e);
        }
    }

    @Override
    public void remove(String containerId) {
        try {
            docker.removeContainerCmd(containerId).withForce(true).exec();
        } catch (NotFoundException e) {
            // gone already
        } catch (ConflictException e) {
            if (!String.valueOf(e.getMessage()).contains("already in progress")) {
                throw failure(e);
            }
        } catch (DockerException e) {
            throw failure(e);
        }
    }

    static ObservedContainer.Phase phase(String state) {
        if (state == null) {
            return ObservedContainer.Phase.EXITED;
        }
        switch (state) {
            case "created":
                return ObservedContainer.Phase.CREATED;
            case "running":
            case "paused":
            case "restarting":
                return ObservedContainer.Phase.RUNNING;
            default:
                return ObservedContainer.Phase.EXITED;
        }
    }

    static long millis(String rfc3339) {
        if (rfc3339 == null || rfc3339.isEmpty() || rfc3339.startsWith("0001-")) {
            return 0;
        }
        try {
            return Instant.parse(rfc3339).toEpochMilli();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** The engine's own message ("No such image: x") rather than docker-java's "Status 404: {...}". */
    static String engineMessage(DockerException e) {
        String raw = String.valueOf(e.getMessage());
        Matcher m = MESSAGE.matcher(raw);
        if (m.find()) {
            return m.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return raw.strip();
    }

    private static ContainerRuntimeException failure(DockerException e) {
        return new ContainerRuntimeException(engineMessage(e), e);
    }

    private static <T> T call(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (DockerException e) {
            throw failure(e);
        }
    }
}
