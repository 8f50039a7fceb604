package io.flotilla.scheduler.placement;

import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.scheduler.harness.Harness;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkAllocationTest {

    @Test
    void aTaskWithoutNetworksNeedsNothing() {
        assertTrue(NetworkAllocation.allocated(Task.getDefaultInstance(), null));
    }

    @Test
    void eachOverlayAndIngressForPublishedPortsNeedsAnAddress() {
        Task onInternal = Task.newBuilder().setSpec(TaskSpec.newBuilder()
                .addNetworks(NetworkAttachmentConfig.newBuilder().setTarget("internal"))).build();
        io.flotilla.contracts.v1.Service published = io.flotilla.contracts.v1.Service.newBuilder()
                .setSpec(io.flotilla.contracts.v1.ServiceSpec.newBuilder().setEndpoint(EndpointSpec.newBuilder()
                        .addPorts(PortConfig.newBuilder().setTargetPort(8080).setPublishedPort(80)
                                .setPublishMode(PublishMode.PUBLISH_INGRESS)))).build();
        assertEquals(2, NetworkAllocation.required(onInternal, published));
        Task one = onInternal.toBuilder().addNetworks(NetworkAttachment.newBuilder().setNetworkId("n1")
                .addAddresses("172.30.0.3/24")).build();
        assertFalse(NetworkAllocation.allocated(one, published));
        Task both = one.toBuilder().addNetworks(NetworkAttachment.newBuilder().setNetworkId("ingress")
                .addAddresses("10.255.0.7/16")).build();
        assertTrue(NetworkAllocation.allocated(both, published));
    }

    @Test
    void aTaskWaitsUnplacedUntilItsAddressesAreAllocated() {
        Harness h = new Harness();
        h.node("worker1", NodeRole.ROLE_WORKER);
        String svc = h.service("web", 1, s -> s.setTask(s.getTask().toBuilder()
                .addNetworks(NetworkAttachmentConfig.newBuilder().setTarget("internal"))));
        h.converge();
        Task waiting = h.wanted(svc).get(0);
        assertEquals("", waiting.getNodeId(), "not placed before network-svc allocated its address");

        // network-svc allocates the attachment: the task is placed
        h.updateTask(waiting.getMeta().getId(), t -> t.addNetworks(NetworkAttachment.newBuilder()
                .setNetworkId("internal").addAddresses("172.30.0.3/24").setMac("02:42:ac:1e:00:03")));
        h.converge();
        assertEquals("node-worker1", h.wanted(svc).get(0).getNodeId());
    }
}
