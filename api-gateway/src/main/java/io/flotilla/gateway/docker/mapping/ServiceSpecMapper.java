package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.FailureAction;
import io.flotilla.contracts.v1.GlobalMode;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.Placement;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.RestartCondition;
import io.flotilla.contracts.v1.RestartPolicy;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.UpdateConfig;
import io.flotilla.contracts.v1.UpdateOrder;

import java.util.List;
import java.util.Locale;

import static io.flotilla.gateway.docker.mapping.JsonFields.F;
import static io.flotilla.gateway.docker.mapping.JsonFields.array;
import static io.flotilla.gateway.docker.mapping.JsonFields.bool;
import static io.flotilla.gateway.docker.mapping.JsonFields.has;
import static io.flotilla.gateway.docker.mapping.JsonFields.int64;
import static io.flotilla.gateway.docker.mapping.JsonFields.map;
import static io.flotilla.gateway.docker.mapping.JsonFields.number;
import static io.flotilla.gateway.docker.mapping.JsonFields.object;
import static io.flotilla.gateway.docker.mapping.JsonFields.objects;
import static io.flotilla.gateway.docker.mapping.JsonFields.stringMap;
import static io.flotilla.gateway.docker.mapping.JsonFields.strings;
import static io.flotilla.gateway.docker.mapping.JsonFields.text;
import static io.flotilla.gateway.docker.mapping.JsonFields.uint;

/**
 * Docker's ServiceSpec JSON to and from {@link ServiceSpec}. Durations are integer nanoseconds on both
 * sides. A sub-object Docker omitted stays unset in the proto (and is omitted again on the way back),
 * so a spec read, changed and sent back by the CLI round-trips. Fields Flotilla does not model
 * (mounts, secrets, healthchecks, ...) are dropped.
 *
 * <p>Defaults shown with {@code insertDefaults=true}: Swarm's (UpdateConfig and RollbackConfig
 * parallelism 1, failure action pause, monitor 5s, max failure ratio 0, order stop-first; restart
 * condition any; endpoint mode vip; stop grace period 10s) except the restart delay: Flotilla restarts
 * a failed task at once and backs off only if the slot keeps failing, so an unset Delay stays absent
 * rather than showing Swarm's 5s.
 */
public final class ServiceSpecMapper {
    public static final long SECOND_NS = 1_000_000_000L;
    public static final long DEFAULT_MONITOR_NS = 5 * SECOND_NS;
    public static final long DEFAULT_STOP_GRACE_NS = 10 * SECOND_NS;

    private ServiceSpecMapper() {
    }

    // ------------------------------------------------------------------ Docker -> proto

    public static ServiceSpec fromDocker(JsonNode spec) {
        if (spec == null || !spec.isObject()) {
            throw new InvalidSpecException("invalid JSON: the body must be a ServiceSpec object");
        }
        ServiceSpec.Builder b = ServiceSpec.newBuilder()
                .setName(text(spec, "Name"))
                .putAllLabels(stringMap(spec, "Labels"));
        JsonNode tt = object(spec, "TaskTemplate");
        TaskSpec.Builder task = taskSpecFromDocker(tt).toBuilder();
        // Spec.Networks is the deprecated place for networks; TaskTemplate.Networks wins when both are given
        if (task.getNetworksCount() == 0 && has(spec, "Networks")) {
            task.addAllNetworks(networks(spec));
        }
        b.setTask(task);

        JsonNode mode = object(spec, "Mode");
        JsonNode replicated = object(mode, "Replicated");
        JsonNode global = object(mode, "Global");
        if (replicated != null && global != null) {
            throw new InvalidSpecException("invalid mode: a service is either Replicated or Global");
        }
        if (global != null) {
            b.setGlobal(GlobalMode.getDefaultInstance());
        } else if (has(mode, "ReplicatedJob") || has(mode, "GlobalJob")) {
            throw new InvalidSpecException("jobs (ReplicatedJob, GlobalJob) are not supported");
        } else {
            long replicas = replicated != null && has(replicated, "Replicas") ? uint(replicated, "Replicas") : 1;
            b.setReplicated(ReplicatedMode.newBuilder().setReplicas(replicas));
        }
        JsonNode update = object(spec, "UpdateConfig");
        if (update != null) {
            b.setUpdate(updateConfig(update));
        }
        JsonNode rollback = object(spec, "RollbackConfig");
        if (rollback != null) {
            b.setRollback(updateConfig(rollback));
        }
        JsonNode endpoint = object(spec, "EndpointSpec");
        if (endpoint != null) {
            b.setEndpoint(endpointSpec(endpoint));
        }
        return b.build();
    }

    public static TaskSpec taskSpecFromDocker(JsonNode tt) {
        TaskSpec.Builder t = TaskSpec.newBuilder();
        if (tt == null) {
            return t.build();
        }
        JsonNode c = object(tt, "ContainerSpec");
        if (c != null) {
            t.setContainer(ContainerSpec.newBuilder()
                    .setImage(text(c, "Image"))
                    .addAllCommand(strings(c, "Command"))
                    .addAllArgs(strings(c, "Args"))
                    .addAllEnv(strings(c, "Env"))
                    .putAllLabels(stringMap(c, "Labels"))
                    .setHostname(text(c, "Hostname"))
                    .setDir(text(c, "Dir"))
                    .setUser(text(c, "User"))
                    .setTty(bool(c, "TTY"))
                    .setStopGracePeriodNs(int64(c, "StopGracePeriod")));
        }
        JsonNode res = object(tt, "Resources");
        if (res != null) {
            JsonNode limits = object(res, "Limits");
            if (limits != null) {
                t.setLimits(resources(limits));
            }
            JsonNode reservations = object(res, "Reservations");
            if (reservations != null) {
                t.setReservations(resources(reservations));
            }
        }
        JsonNode rp = object(tt, "RestartPolicy");
        if (rp != null) {
            RestartPolicy.Builder r = RestartPolicy.newBuilder()
                    .setCondition(restartCondition(text(rp, "Condition")))
                    .setMaxAttempts(uint(rp, "MaxAttempts"))
                    .setWindowNs(int64(rp, "Window"));
            if (has(rp, "Delay")) {
                r.setDelaySet(true).setDelayNs(int64(rp, "Delay"));
            }
            t.setRestartPolicy(r);
        }
        JsonNode placement = object(tt, "Placement");
        if (placement != null) {
            t.setPlacement(Placement.newBuilder().addAllConstraints(strings(placement, "Constraints")));
        }
        t.addAllNetworks(networks(tt));
        t.setForceUpdate(uint(tt, "ForceUpdate"));
        return t.build();
    }

    private static List<NetworkAttachmentConfig> networks(JsonNode parent) {
        return objects(parent, "Networks").stream()
                .map(n -> NetworkAttachmentConfig.newBuilder()
                        .setTarget(text(n, "Target"))
                        .addAllAliases(strings(n, "Aliases"))
                        .build())
                .toList();
    }

    private static Resources resources(JsonNode r) {
        return Resources.newBuilder().setNanoCpus(int64(r, "NanoCPUs")).setMemoryBytes(int64(r, "MemoryBytes")).build();
    }

    static RestartCondition restartCondition(String word) {
        return switch (word) {
            case "", "any" -> RestartCondition.RESTART_ANY;
            case "on-failure" -> RestartCondition.RESTART_ON_FAILURE;
            case "none" -> RestartCondition.RESTART_NONE;
            default -> throw new InvalidSpecException("invalid RestartCondition: \"" + word + "\"");
        };
    }

    private static UpdateConfig updateConfig(JsonNode u) {
        double ratio = number(u, "MaxFailureRatio");
        if (ratio < 0 || ratio > 1) {
            throw new InvalidSpecException("invalid MaxFailureRatio: " + ratio + " (must be between 0 and 1)");
        }
        return UpdateConfig.newBuilder()
                .setParallelism(uint(u, "Parallelism"))
                .setDelayNs(nonNegative(u, "Delay"))
                .setFailureAction(failureAction(text(u, "FailureAction")))
                .setMonitorNs(nonNegative(u, "Monitor"))
                .setMaxFailureRatio((float) ratio)
                .setOrder(order(text(u, "Order")))
                .build();
    }

    private static long nonNegative(JsonNode n, String field) {
        long v = int64(n, field);
        if (v < 0) {
            throw new InvalidSpecException(field + " must not be negative");
        }
        return v;
    }

    static FailureAction failureAction(String word) {
        return switch (word) {
            case "", "pause" -> FailureAction.FAILURE_PAUSE;
            case "continue" -> FailureAction.FAILURE_CONTINUE;
            case "rollback" -> FailureAction.FAILURE_ROLLBACK;
            default -> throw new InvalidSpecException("unrecognized update failure action " + word);
        };
    }

    static UpdateOrder order(String word) {
        return switch (word) {
            case "", "stop-first" -> UpdateOrder.STOP_FIRST;
            case "start-first" -> UpdateOrder.START_FIRST;
            default -> throw new InvalidSpecException("unrecognized update order " + word);
        };
    }

    private static EndpointSpec endpointSpec(JsonNode e) {
        EndpointSpec.Builder b = EndpointSpec.newBuilder();
        b.setMode(switch (text(e, "Mode")) {
            case "", "vip" -> EndpointMode.ENDPOINT_VIP;
            case "dnsrr" -> EndpointMode.ENDPOINT_DNSRR;
            default -> throw new InvalidSpecException("invalid endpoint mode: " + text(e, "Mode"));
        });
        for (JsonNode p : objects(e, "Ports")) {
            b.addPorts(portFromDocker(p));
        }
        return b.build();
    }

    static PortConfig portFromDocker(JsonNode p) {
        String protocol = text(p, "Protocol").toLowerCase(Locale.ROOT);
        if (protocol.isEmpty()) {
            protocol = "tcp";
        }
        if (!List.of("tcp", "udp", "sctp").contains(protocol)) {
            throw new InvalidSpecException("invalid protocol: " + protocol);
        }
        long target = uint(p, "TargetPort");
        long published = uint(p, "PublishedPort");
        if (target > 65535 || published > 65535) {
            throw new InvalidSpecException("invalid port: ports must be between 0 and 65535");
        }
        PublishMode mode = switch (text(p, "PublishMode")) {
            case "", "ingress" -> PublishMode.PUBLISH_INGRESS;
            case "host" -> PublishMode.PUBLISH_HOST;
            default -> throw new InvalidSpecException("invalid publish mode: " + text(p, "PublishMode"));
        };
        return PortConfig.newBuilder().setName(text(p, "Name")).setProtocol(protocol)
                .setTargetPort((int) target).setPublishedPort((int) published).setPublishMode(mode).build();
    }

    // ------------------------------------------------------------------ proto -> Docker

    public static ObjectNode toDocker(ServiceSpec s, boolean insertDefaults) {
        ObjectNode o = F.objectNode();
        o.put("Name", s.getName());
        o.set("Labels", map(s.getLabelsMap()));
        o.set("TaskTemplate", taskSpecToDocker(s.getTask(), insertDefaults));
        ObjectNode mode = o.putObject("Mode");
        if (s.hasGlobal()) {
            mode.putObject("Global");
        } else {
            mode.putObject("Replicated").put("Replicas", s.getReplicated().getReplicas());
        }
        if (s.hasUpdate() || insertDefaults) {
            o.set("UpdateConfig", updateToDocker(s.hasUpdate() ? s.getUpdate() : null));
        }
        if (s.hasRollback() || insertDefaults) {
            o.set("RollbackConfig", updateToDocker(s.hasRollback() ? s.getRollback() : null));
        }
        if (s.hasEndpoint() || insertDefaults) {
            o.set("EndpointSpec", endpointSpecToDocker(s.getEndpoint()));
        }
        return o;
    }

    public static ObjectNode taskSpecToDocker(TaskSpec t, boolean insertDefaults) {
        ObjectNode o = F.objectNode();
        ContainerSpec c = t.getContainer();
        ObjectNode cs = o.putObject("ContainerSpec");
        cs.put("Image", c.getImage());
        if (c.getLabelsCount() > 0) cs.set("Labels", map(c.getLabelsMap()));
        if (c.getCommandCount() > 0) cs.set("Command", array(c.getCommandList()));
        if (c.getArgsCount() > 0) cs.set("Args", array(c.getArgsList()));
        if (!c.getHostname().isEmpty()) cs.put("Hostname", c.getHostname());
        if (c.getEnvCount() > 0) cs.set("Env", array(c.getEnvList()));
        if (!c.getDir().isEmpty()) cs.put("Dir", c.getDir());
        if (!c.getUser().isEmpty()) cs.put("User", c.getUser());
        if (c.getTty()) cs.put("TTY", true);
        if (c.getStopGracePeriodNs() != 0) {
            cs.put("StopGracePeriod", c.getStopGracePeriodNs());
        } else if (insertDefaults) {
            cs.put("StopGracePeriod", DEFAULT_STOP_GRACE_NS);
        }
        if (t.hasLimits() || t.hasReservations() || insertDefaults) {
            ObjectNode r = o.putObject("Resources");
            if (t.hasLimits() || insertDefaults) r.set("Limits", resourcesToDocker(t.getLimits()));
            if (t.hasReservations() || insertDefaults) r.set("Reservations", resourcesToDocker(t.getReservations()));
        }
        if (t.hasRestartPolicy() || insertDefaults) {
            RestartPolicy rp = t.getRestartPolicy();
            ObjectNode r = o.putObject("RestartPolicy");
            r.put("Condition", restartConditionToDocker(rp.getCondition()));
            if (rp.getDelaySet()) r.put("Delay", rp.getDelayNs());
            r.put("MaxAttempts", rp.getMaxAttempts());
            if (rp.getWindowNs() != 0) r.put("Window", rp.getWindowNs());
        }
        if (t.hasPlacement() || insertDefaults) {
            ObjectNode p = o.putObject("Placement");
            if (t.getPlacement().getConstraintsCount() > 0) {
                p.set("Constraints", array(t.getPlacement().getConstraintsList()));
            }
        }
        if (t.getNetworksCount() > 0) {
            ArrayNode nets = o.putArray("Networks");
            for (NetworkAttachmentConfig n : t.getNetworksList()) {
                ObjectNode no = nets.addObject().put("Target", n.getTarget());
                if (n.getAliasesCount() > 0) no.set("Aliases", array(n.getAliasesList()));
            }
        }
        o.put("ForceUpdate", t.getForceUpdate());
        o.put("Runtime", "container");
        return o;
    }

    private static ObjectNode resourcesToDocker(Resources r) {
        ObjectNode o = F.objectNode();
        if (r.getNanoCpus() != 0) o.put("NanoCPUs", r.getNanoCpus());
        if (r.getMemoryBytes() != 0) o.put("MemoryBytes", r.getMemoryBytes());
        return o;
    }

    static String restartConditionToDocker(RestartCondition c) {
        return switch (c) {
            case RESTART_ON_FAILURE -> "on-failure";
            case RESTART_NONE -> "none";
            default -> "any";
        };
    }

    /** An UpdateConfig or RollbackConfig; null gives Swarm's defaults. */
    private static ObjectNode updateToDocker(UpdateConfig u) {
        ObjectNode o = F.objectNode();
        if (u == null) {
            u = UpdateConfig.newBuilder().setParallelism(1).setMonitorNs(DEFAULT_MONITOR_NS).build();
        }
        o.put("Parallelism", u.getParallelism());
        if (u.getDelayNs() != 0) o.put("Delay", u.getDelayNs());
        o.put("FailureAction", switch (u.getFailureAction()) {
            case FAILURE_CONTINUE -> "continue";
            case FAILURE_ROLLBACK -> "rollback";
            default -> "pause";
        });
        if (u.getMonitorNs() != 0) o.put("Monitor", u.getMonitorNs());
        o.put("MaxFailureRatio", u.getMaxFailureRatio());
        o.put("Order", u.getOrder() == UpdateOrder.START_FIRST ? "start-first" : "stop-first");
        return o;
    }

    public static ObjectNode endpointSpecToDocker(EndpointSpec e) {
        ObjectNode o = F.objectNode();
        o.put("Mode", e.getMode() == EndpointMode.ENDPOINT_DNSRR ? "dnsrr" : "vip");
        if (e.getPortsCount() > 0) {
            o.set("Ports", portsToDocker(e.getPortsList()));
        }
        return o;
    }

    public static ArrayNode portsToDocker(List<PortConfig> ports) {
        ArrayNode a = F.arrayNode();
        for (PortConfig p : ports) {
            ObjectNode po = a.addObject();
            if (!p.getName().isEmpty()) po.put("Name", p.getName());
            po.put("Protocol", p.getProtocol().isEmpty() ? "tcp" : p.getProtocol());
            po.put("TargetPort", p.getTargetPort());
            po.put("PublishedPort", p.getPublishedPort());
            po.put("PublishMode", p.getPublishMode() == PublishMode.PUBLISH_HOST ? "host" : "ingress");
        }
        return a;
    }
}
