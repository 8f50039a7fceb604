package io.flotilla.network.allocator;

import io.flotilla.contracts.v1.Cluster;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.IPAMConfig;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.NetworkAttachmentConfig;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.PublishMode;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;

/** Store objects for the tests. */
public final class Fixtures {
    private Fixtures() {
    }

    public static StoredObject cluster(String id) {
        return StoredObject.newBuilder().setCluster(Cluster.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(1))
                .setName("default")).build();
    }

    public static StoredObject node(String id, String addr) {
        return StoredObject.newBuilder().setNode(Node.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(1))
                .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_READY).setAddr(addr))).build();
    }

    public static StoredObject network(String id, String name, String subnet) {
        Network.Builder n = Network.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(1).setCreatedAtMs(1))
                .setName(name).setDriver("overlay");
        if (subnet != null) {
            n.addIpam(IPAMConfig.newBuilder().setSubnet(subnet));
        }
        return StoredObject.newBuilder().setNetwork(n).build();
    }

    public static EndpointSpec publish(int target, int published) {
        return EndpointSpec.newBuilder().addPorts(PortConfig.newBuilder().setProtocol("tcp").setTargetPort(target)
                .setPublishedPort(published).setPublishMode(PublishMode.PUBLISH_INGRESS)).build();
    }

    public static TaskSpec taskSpec(String... networks) {
        TaskSpec.Builder t = TaskSpec.newBuilder();
        for (String n : networks) {
            t.addNetworks(NetworkAttachmentConfig.newBuilder().setTarget(n));
        }
        return t.build();
    }

    public static StoredObject service(String id, String name, EndpointSpec endpoint, String... networks) {
        return StoredObject.newBuilder().setService(Service.newBuilder()
                .setMeta(Meta.newBuilder().setId(id).setVersion(1).setCreatedAtMs(2))
                .setSpec(ServiceSpec.newBuilder().setName(name).setTask(taskSpec(networks))
                        .setReplicated(ReplicatedMode.newBuilder().setReplicas(1)).setEndpoint(endpoint))
                .setSpecVersion(1)).build();
    }

    public static StoredObject task(String id, String serviceId, String nodeId, TaskState state, EndpointSpec endpoint,
                                    String... networks) {
        return StoredObject.newBuilder().setTask(Task.newBuilder()
                .setMeta(Meta.newBuilder().setId(id).setVersion(1).setCreatedAtMs(3))
                .setServiceId(serviceId).setNodeId(nodeId).setSpec(taskSpec(networks))
                .setEndpoint(io.flotilla.contracts.v1.Endpoint.newBuilder().setSpec(endpoint))
                .setDesiredState(TaskState.TASK_RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(state))).build();
    }
}
