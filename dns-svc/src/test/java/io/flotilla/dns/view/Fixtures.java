package io.flotilla.dns.view;

import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.Endpoint;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.NetworkAttachment;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.PortConfig;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StateEvent;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.TaskStatus;
import io.flotilla.contracts.v1.VirtualIP;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Store objects as network allocation writes them, for the table's and the server's tests. */
public final class Fixtures {
    private Fixtures() {
    }

    public static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static Network network(String id, String name, boolean ingress) {
        return Network.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(1)).setName(name).setDriver("overlay")
                .setIngress(ingress).build();
    }

    /** A service; vips as "netId=addr/len". */
    public static Service service(String id, String name, EndpointMode mode, String... vips) {
        Endpoint.Builder ep = Endpoint.newBuilder();
        for (String v : vips) {
            String[] p = v.split("=");
            ep.addVirtualIps(VirtualIP.newBuilder().setNetworkId(p[0]).setAddr(p[1]));
        }
        ep.addPorts(PortConfig.newBuilder().setName("http").setProtocol("tcp").setTargetPort(8080));
        return Service.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(1))
                .setSpec(ServiceSpec.newBuilder().setName(name).setEndpoint(EndpointSpec.newBuilder().setMode(mode)))
                .setEndpoint(ep).build();
    }

    /** The service with its spec attached to the networks (ids or names, as given by the user). */
    public static Service attachedTo(Service s, String... targets) {
        Service.Builder b = s.toBuilder();
        for (String t : targets) {
            b.getSpecBuilder().getTaskBuilder().addNetworks(
                    io.flotilla.contracts.v1.NetworkAttachmentConfig.newBuilder().setTarget(t));
        }
        return b.build();
    }

    /** A task; attachments as "netId=addr/len" or "netId=addr/len=alias1,alias2". */
    public static Task task(String id, String serviceId, String serviceName, long slot, TaskState state,
                            TaskState desired, String... attachments) {
        Task.Builder t = Task.newBuilder().setMeta(Meta.newBuilder().setId(id).setVersion(1)).setServiceId(serviceId)
                .setServiceName(serviceName).setSlot(slot).setNodeId("node1").setDesiredState(desired)
                .setStatus(TaskStatus.newBuilder().setState(state));
        for (String a : attachments) {
            String[] p = a.split("=");
            NetworkAttachment.Builder na = NetworkAttachment.newBuilder().setNetworkId(p[0]).addAddresses(p[1]);
            if (p.length > 2) {
                na.addAllAliases(List.of(p[2].split(",")));
            }
            t.addNetworks(na);
        }
        return t.build();
    }

    public static Task running(String id, String serviceId, String serviceName, long slot, String... attachments) {
        return task(id, serviceId, serviceName, slot, TaskState.TASK_RUNNING, TaskState.TASK_RUNNING, attachments);
    }

    public static StoredObject obj(Network n) {
        return StoredObject.newBuilder().setNetwork(n).build();
    }

    public static StoredObject obj(Service s) {
        return StoredObject.newBuilder().setService(s).build();
    }

    public static StoredObject obj(Task t) {
        return StoredObject.newBuilder().setTask(t).build();
    }

    public static StateEvent event(long index, Op op, StoredObject o) {
        Kind kind;
        String id;
        switch (o.getObjectCase()) {
            case NETWORK -> {
                kind = Kind.KIND_NETWORK;
                id = o.getNetwork().getMeta().getId();
            }
            case SERVICE -> {
                kind = Kind.KIND_SERVICE;
                id = o.getService().getMeta().getId();
            }
            default -> {
                kind = Kind.KIND_TASK;
                id = o.getTask().getMeta().getId();
            }
        }
        return StateEvent.newBuilder().setIndex(index).setVersion(index).setKind(kind).setId(id).setOp(op).setObject(o)
                .build();
    }
}
