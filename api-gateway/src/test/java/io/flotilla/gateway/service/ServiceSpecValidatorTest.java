package io.flotilla.gateway.service;

import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.Placement;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.gateway.docker.mapping.InvalidSpecException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ServiceSpecValidatorTest {
    static ServiceSpec.Builder ok() {
        return ServiceSpec.newBuilder().setName("web")
                .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("busybox")))
                .setReplicated(ReplicatedMode.newBuilder().setReplicas(2));
    }

    static String refused(ServiceSpec spec) {
        return assertThrows(InvalidSpecException.class, () -> ServiceSpecValidator.validate(spec)).getMessage();
    }

    @Test
    void acceptsAValidSpec() {
        ServiceSpecValidator.validate(ok().build());
    }

    @Test
    void refusesWhatSwarmRefuses() {
        assertEquals("meta: name must be provided", refused(ok().setName("").build()));
        assertEquals("name must be valid as a DNS name component", refused(ok().setName("bad name").build()));
        assertEquals("ContainerSpec: image reference must be provided",
                refused(ok().setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder())).build()));
        refused(ok().setTask(ok().getTask().toBuilder().setPlacement(Placement.newBuilder().addConstraints("node.role~worker"))).build());
        PortConfig p80 = PortConfig.newBuilder().setProtocol("tcp").setTargetPort(8080).setPublishedPort(80).build();
        assertEquals("EndpointSpec: duplicate published ports provided",
                refused(ok().setEndpoint(EndpointSpec.newBuilder().addPorts(p80).addPorts(p80)).build()));
        assertEquals("EndpointSpec: port published with ingress mode can't be used with dnsrr mode",
                refused(ok().setEndpoint(EndpointSpec.newBuilder().setMode(EndpointMode.ENDPOINT_DNSRR).addPorts(p80)).build()));
        ServiceSpecValidator.validate(ok().setEndpoint(EndpointSpec.newBuilder().setMode(EndpointMode.ENDPOINT_DNSRR)
                .addPorts(p80.toBuilder().setPublishMode(PublishMode.PUBLISH_HOST))).build());
    }
}
