package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.Endpoint;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.UpdateStatus;
import io.flotilla.contracts.v1.VirtualIP;

import static io.flotilla.gateway.docker.mapping.JsonFields.F;

/** A {@link Service} as Docker's Service JSON. */
public final class ServiceMapper {
    private ServiceMapper() {
    }

    /** Running, desired and completed task counts, as {@code GET /services?status=true} shows them. */
    public record ServiceStatus(long runningTasks, long desiredTasks, long completedTasks) {
    }

    public static ObjectNode toDocker(Service s, boolean insertDefaults, ServiceStatus status) {
        ObjectNode o = F.objectNode();
        o.put("ID", s.getMeta().getId());
        o.putObject("Version").put("Index", s.getMeta().getVersion());
        o.put("CreatedAt", DockerTime.format(s.getMeta().getCreatedAtMs()));
        o.put("UpdatedAt", DockerTime.format(s.getMeta().getUpdatedAtMs()));
        o.set("Spec", ServiceSpecMapper.toDocker(s.getSpec(), insertDefaults));
        if (s.hasPreviousSpec()) {
            o.set("PreviousSpec", ServiceSpecMapper.toDocker(s.getPreviousSpec(), insertDefaults));
        }
        o.set("Endpoint", endpoint(s));
        if (s.hasUpdateStatus() && !s.getUpdateStatus().getState().isEmpty()) {
            UpdateStatus u = s.getUpdateStatus();
            ObjectNode us = o.putObject("UpdateStatus");
            us.put("State", u.getState());
            if (u.getStartedAtMs() > 0) us.put("StartedAt", DockerTime.format(u.getStartedAtMs()));
            if (u.getCompletedAtMs() > 0) us.put("CompletedAt", DockerTime.format(u.getCompletedAtMs()));
            us.put("Message", u.getMessage());
        }
        if (status != null) {
            o.putObject("ServiceStatus")
                    .put("RunningTasks", status.runningTasks())
                    .put("DesiredTasks", status.desiredTasks())
                    .put("CompletedTasks", status.completedTasks());
        }
        return o;
    }

    /** Endpoint{Spec, Ports, VirtualIPs}; the spec is the service's own until network-svc has allocated. */
    static ObjectNode endpoint(Service s) {
        Endpoint e = s.getEndpoint();
        ObjectNode o = F.objectNode();
        o.set("Spec", e.hasSpec() ? ServiceSpecMapper.endpointSpecToDocker(e.getSpec())
                : s.getSpec().hasEndpoint() ? ServiceSpecMapper.endpointSpecToDocker(s.getSpec().getEndpoint())
                : F.objectNode());
        if (e.getPortsCount() > 0) {
            o.set("Ports", ServiceSpecMapper.portsToDocker(e.getPortsList()));
        } else if (s.getSpec().getEndpoint().getPortsCount() > 0) {
            // not allocated (yet): the ports as asked, so that ls, inspect --pretty and ps show them
            o.set("Ports", ServiceSpecMapper.portsToDocker(s.getSpec().getEndpoint().getPortsList()));
        }
        if (e.getVirtualIpsCount() > 0) {
            ArrayNode vips = o.putArray("VirtualIPs");
            for (VirtualIP v : e.getVirtualIpsList()) {
                vips.addObject().put("NetworkID", v.getNetworkId()).put("Addr", v.getAddr());
            }
        }
        return o;
    }
}
