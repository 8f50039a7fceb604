package io.flotilla.gateway.docker.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.UpdateStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ServiceMapperTest {
    static Service nodejs() {
        return Service.newBuilder().setMeta(Meta.newBuilder().setId("s1").setVersion(7).setCreatedAtMs(1_000).setUpdatedAtMs(2_000))
                .setSpec(ServiceSpec.newBuilder().setName("nodejs")
                        .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("kalise/nodejs-web-app:latest")))
                        .setReplicated(ReplicatedMode.newBuilder().setReplicas(1))
                        .setEndpoint(EndpointSpec.newBuilder().addPorts(PortConfig.newBuilder().setProtocol("tcp")
                                .setTargetPort(8080).setPublishedPort(80).setPublishMode(PublishMode.PUBLISH_INGRESS))))
                .setSpecVersion(1).build();
    }

    @Test
    void portsAskedForShowUnderEndpointUntilAllocated() {
        JsonNode j = ServiceMapper.toDocker(nodejs(), false, null);
        assertEquals(80, j.at("/Endpoint/Ports/0/PublishedPort").intValue());
        assertEquals(8080, j.at("/Endpoint/Ports/0/TargetPort").intValue());
        assertEquals("ingress", j.at("/Endpoint/Ports/0/PublishMode").asText());
        assertEquals("tcp", j.at("/Endpoint/Ports/0/Protocol").asText());
    }

    @Test
    void updateStatusIsAbsentUntilAnUpdateRollsTasks() {
        assertFalse(ServiceMapper.toDocker(nodejs(), false, null).has("UpdateStatus"),
                "the CLI's progress returns early on a completed UpdateStatus; a new service has none");
        Service updating = nodejs().toBuilder().setUpdateStatus(UpdateStatus.newBuilder().setState("updating")
                .setStartedAtMs(1_700_000_000_000L).setMessage("update in progress")).build();
        JsonNode j = ServiceMapper.toDocker(updating, false, new ServiceMapper.ServiceStatus(1, 2, 0));
        assertEquals("updating", j.at("/UpdateStatus/State").asText());
        assertEquals("2023-11-14T22:13:20Z", j.at("/UpdateStatus/StartedAt").asText().replace(".000", ""));
        assertFalse(j.get("UpdateStatus").has("CompletedAt"));
        assertEquals(1, j.at("/ServiceStatus/RunningTasks").intValue());
        assertEquals(2, j.at("/ServiceStatus/DesiredTasks").intValue());
    }
}
