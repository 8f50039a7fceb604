package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskStatus;

import java.util.Map;

import static io.flotilla.gateway.docker.mapping.JsonFields.F;
import static io.flotilla.gateway.docker.mapping.JsonFields.array;

/** A {@link Task} as Docker's Task JSON. Docker leaves a task's Name empty; so does Flotilla. */
public final class TaskMapper {
    private TaskMapper() {
    }

    /**
     * @param networkNames network id to name, to fill NetworksAttachments[].Network.Spec.Name (may be empty)
     */
    public static ObjectNode toDocker(Task t, Map<String, String> networkNames) {
        ObjectNode o = F.objectNode();
        o.put("ID", t.getMeta().getId());
        o.putObject("Version").put("Index", t.getMeta().getVersion());
        o.put("CreatedAt", DockerTime.format(t.getMeta().getCreatedAtMs()));
        o.put("UpdatedAt", DockerTime.format(t.getMeta().getUpdatedAtMs()));
        o.putObject("Labels");
        o.set("Spec", ServiceSpecMapper.taskSpecToDocker(t.getSpec(), false));
        o.put("ServiceID", t.getServiceId());
        if (t.getSlot() != 0) {
            o.put("Slot", t.getSlot());
        }
        if (!t.getNodeId().isEmpty()) {
            o.put("NodeID", t.getNodeId());
        }
        TaskStatus st = t.getStatus();
        ObjectNode status = o.putObject("Status");
        status.put("Timestamp", DockerTime.format(st.getTimestampMs() > 0 ? st.getTimestampMs() : t.getMeta().getUpdatedAtMs()));
        status.put("State", TaskStates.toDocker(st.getState()));
        String message = st.getMessage();
        if (message.isEmpty() && !t.getSchedulingMessage().isEmpty()) {
            message = t.getSchedulingMessage();
        }
        status.put("Message", message);
        if (!st.getErr().isEmpty()) {
            status.put("Err", st.getErr());
        } else if (!t.getSchedulingMessage().isEmpty() && st.getState().getNumber() <= 64) {
            // a pending task says why it waits, as Swarm's "no suitable node (...)"
            status.put("Err", t.getSchedulingMessage());
        }
        if (st.hasContainer() && !st.getContainer().getContainerId().isEmpty()) {
            status.putObject("ContainerStatus")
                    .put("ContainerID", st.getContainer().getContainerId())
                    .put("PID", st.getContainer().getPid())
                    .put("ExitCode", st.getContainer().getExitCode());
        }
        status.putObject("PortStatus");
        o.put("DesiredState", TaskStates.toDocker(t.getDesiredState()));
        if (t.getNetworksCount() > 0) {
            ArrayNode nets = o.putArray("NetworksAttachments");
            for (NetworkAttachment n : t.getNetworksList()) {
                ObjectNode a = nets.addObject();
                ObjectNode net = a.putObject("Network");
                net.put("ID", n.getNetworkId());
                String name = networkNames.get(n.getNetworkId());
                if (name != null) {
                    net.putObject("Spec").put("Name", name);
                }
                a.set("Addresses", array(n.getAddressesList()));
            }
        }
        return o;
    }
}
