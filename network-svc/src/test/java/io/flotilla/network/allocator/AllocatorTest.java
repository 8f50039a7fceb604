package io.flotilla.network.allocator;

import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.Network;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.network.ipam.Ipam;
import io.flotilla.network.ipam.PortAllocator;
import io.flotilla.network.ipam.Subnet;
import io.flotilla.network.ipam.SubnetPool;
import io.flotilla.network.ipam.VniAllocator;
import io.flotilla.network.view.NetworkView;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.flotilla.network.allocator.Fixtures.cluster;
import static io.flotilla.network.allocator.Fixtures.network;
import static io.flotilla.network.allocator.Fixtures.node;
import static io.flotilla.network.allocator.Fixtures.publish;
import static io.flotilla.network.allocator.Fixtures.service;
import static io.flotilla.network.allocator.Fixtures.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The allocation pass against a view, applying its changes as the store would (versions bumped). */
class AllocatorTest {
    private final NetworkView view = new NetworkView();
    private long index = 10;

    private List<Change> pass(Allocator a) {
        List<Change> changes = a.reconcile(view, 1000);
        for (Change c : changes) {
            view.upsert(c.getObject(), ++index);
        }
        return changes;
    }

    private Network net(String name) {
        return view.networks().stream().filter(n -> n.getName().equals(name)).findFirst().orElseThrow();
    }

    private static final EndpointSpec NONE = EndpointSpec.getDefaultInstance();

    @Test
    void ingressUserNetworkVipsPortsAndTaskAddressesThenIdempotent() {
        Allocator a = new Allocator(new Ipam());
        view.upsert(cluster("c1"), 1);
        view.upsert(node("n1", "10.10.10.60"), 2);
        view.upsert(network("internal0000000000000000a", "internal", "172.30.0.0/24"), 3);
        view.upsert(network("other00000000000000000000", "other", null), 4);
        view.upsert(service("s1", "nodejs", publish(8080, 80), "internal"), 5);
        view.upsert(service("s2", "auto", publish(8080, 0)), 6);
        view.upsert(task("t1", "s1", "", TaskState.TASK_PENDING, publish(8080, 80), "internal"), 7);

        List<Change> first = pass(a);
        Change create = first.stream().filter(c -> c.getOp() == Op.OP_CREATE).findFirst().orElseThrow();
        assertEquals(Allocator.ingressId("c1"), create.getId());
        assertEquals(25, create.getId().length());

        pass(a); // ingress now in the view: the rest follows
        Network ingress = net("ingress");
        assertTrue(ingress.getIngress());
        assertEquals(4096, ingress.getVni());
        assertEquals("10.255.0.0/16", ingress.getIpam(0).getSubnet());
        assertEquals("10.255.0.1", ingress.getIpam(0).getGateway());
        Network internal = net("internal");
        assertEquals(4097, internal.getVni());
        assertEquals("172.30.0.1", internal.getIpam(0).getGateway());
        Network other = net("other");
        assertEquals(4098, other.getVni());
        assertEquals("10.0.0.0/24", other.getIpam(0).getSubnet());
        assertEquals("10.0.0.1", other.getIpam(0).getGateway());

        Service s1 = view.service("s1");
        assertEquals("", s1.getAllocationError());
        assertEquals(2, s1.getEndpoint().getVirtualIpsCount());
        assertEquals(ingress.getMeta().getId(), s1.getEndpoint().getVirtualIps(0).getNetworkId());
        assertTrue(s1.getEndpoint().getVirtualIps(0).getAddr().matches("10\\.255\\.0\\.\\d+/16"));
        assertEquals("172.30.0.2/24", s1.getEndpoint().getVirtualIps(1).getAddr());
        assertEquals(80, s1.getEndpoint().getPorts(0).getPublishedPort());
        assertEquals(PortAllocator.DYNAMIC_FIRST, view.service("s2").getEndpoint().getPorts(0).getPublishedPort());

        Task t1 = view.task("t1");
        assertEquals(2, t1.getNetworksCount());
        assertEquals(ingress.getMeta().getId(), t1.getNetworks(0).getNetworkId());
        assertEquals("172.30.0.3/24", t1.getNetworks(1).getAddresses(0));
        assertEquals("02:42:ac:1e:00:03", t1.getNetworks(1).getMac());
        assertEquals(1, view.node("n1").getAttachmentsCount());

        assertEquals(List.of(), pass(a), "a second pass changes nothing");
        // a fresh allocator (a restart) rebuilt from the same objects changes nothing either
        Allocator restarted = new Allocator(new Ipam());
        assertEquals(List.of(), restarted.reconcile(view, 2000));
    }

    @Test
    void restartRestoresBeforeAllocatingSoNewTasksDoNotTakeRunningOnesAddresses() {
        Allocator a = new Allocator(new Ipam());
        view.upsert(network("internal0000000000000000a", "internal", "172.30.0.0/24"), 3);
        view.upsert(task("t1", "s1", "n1", TaskState.TASK_RUNNING, NONE, "internal"), 7);
        pass(a);
        assertEquals("172.30.0.2/24", view.task("t1").getNetworks(0).getAddresses(0));
        view.upsert(task("t2", "s1", "", TaskState.TASK_PENDING, NONE, "internal"), ++index);
        pass(new Allocator(new Ipam()));
        assertEquals("172.30.0.2/24", view.task("t1").getNetworks(0).getAddresses(0));
        assertNotEquals("172.30.0.2/24", view.task("t2").getNetworks(0).getAddresses(0));
    }

    @Test
    void nothingLeaksWhenTasksServicesAndNetworksGo() {
        Ipam ipam = new Ipam();
        Allocator a = new Allocator(ipam);
        view.upsert(network("internal0000000000000000a", "internal", "172.30.0.0/29"), 3);
        view.upsert(service("s1", "web", NONE, "internal"), 5);
        view.upsert(task("t1", "s1", "", TaskState.TASK_PENDING, NONE, "internal"), 7);
        pass(a);
        assertEquals(1, ipam.held("task/t1"));
        assertEquals(1, ipam.held("service/s1"));
        // the task ends: its address is free again (the stored record keeps it, for history)
        Task ended = view.task("t1").toBuilder().setStatus(view.task("t1").getStatus().toBuilder()
                .setState(TaskState.TASK_FAILED)).build();
        view.upsert(io.flotilla.contracts.v1.StoredObject.newBuilder().setTask(ended).build(), ++index);
        pass(a);
        assertEquals(0, ipam.held("task/t1"));
        view.delete(Kind.KIND_SERVICE, "s1", ++index);
        view.delete(Kind.KIND_TASK, "t1", ++index);
        pass(a);
        assertEquals(0, ipam.held("service/s1"));
        assertEquals(1, ipam.network("internal0000000000000000a").pool().inUse(), "only the gateway");
        view.delete(Kind.KIND_NETWORK, "internal0000000000000000a", ++index);
        pass(a);
        assertEquals(null, ipam.network("internal0000000000000000a"));
        // its subnet and VNI can be taken again
        view.upsert(network("again000000000000000000aa", "again", "172.30.0.0/24"), ++index);
        pass(a);
        assertEquals(4097, net("again").getVni());
    }

    @Test
    void exhaustionIsWrittenOnTheServiceAndTheTask() {
        Allocator a = new Allocator(new Ipam());
        view.upsert(network("tiny00000000000000000000a", "tiny", "172.30.0.0/30"), 3); // one usable address
        view.upsert(service("s1", "web", NONE, "tiny"), 5);
        view.upsert(service("s2", "web2", NONE, "tiny"), 6);
        view.upsert(task("t1", "s1", "", TaskState.TASK_PENDING, NONE, "tiny"), 7);
        pass(a);
        assertEquals("", view.service("s1").getAllocationError());
        assertTrue(view.service("s2").getAllocationError().contains("exhausted"), view.service("s2").getAllocationError());
        assertTrue(view.task("t1").getStatus().getErr().startsWith(Allocator.TASK_ERROR_PREFIX));
        assertEquals(0, view.task("t1").getNetworksCount());
        // the first service goes: the second gets its VIP and the error is cleared; then the task is allocated
        view.delete(Kind.KIND_SERVICE, "s1", ++index);
        pass(a);
        assertEquals("", view.service("s2").getAllocationError());
        view.delete(Kind.KIND_SERVICE, "s2", ++index);
        pass(a);
        assertEquals(1, view.task("t1").getNetworksCount());
        assertEquals("", view.task("t1").getStatus().getErr());
    }

    @Test
    void publishedPortConflictAndUnknownNetworkAreServiceErrors() {
        Allocator a = new Allocator(new Ipam());
        view.upsert(cluster("c1"), 1);
        pass(a);
        view.upsert(service("s1", "a", publish(8080, 80)), 5);
        view.upsert(service("s2", "b", publish(9090, 80)), 6);
        view.upsert(service("s3", "c", NONE, "nope"), 7);
        pass(a);
        assertEquals("", view.service("s1").getAllocationError());
        assertEquals("port '80' is already in use by service 's1' as an ingress port", view.service("s2").getAllocationError());
        assertEquals("network nope not found", view.service("s3").getAllocationError());
    }

    @Test
    void overlappingOrExhaustedSubnetsAndVnis() {
        Ipam ipam = new Ipam(new VniAllocator(4097, 4097), new SubnetPool(), new PortAllocator());
        Allocator a = new Allocator(ipam);
        view.upsert(network("aaaa0000000000000000000aa", "a", "10.0.0.0/16"), 3);
        view.upsert(network("bbbb0000000000000000000bb", "b", "10.0.5.0/24"), 4);
        view.upsert(network("cccc0000000000000000000cc", "c", null), 5);
        pass(a);
        assertEquals(4097, net("a").getVni());
        assertEquals(0, net("b").getVni(), "overlapping subnet: not allocated");
        assertEquals(0, net("c").getVni(), "no VNI left");
        view.delete(Kind.KIND_NETWORK, "aaaa0000000000000000000aa", ++index);
        pass(a);
        assertEquals(4097, net("b").getVni());
    }

    private static final String NO_POOL = "could not find an available, non-overlapping IPv4 address pool among the"
            + " defaults to assign to the network";

    @Test
    void aNetworkWithoutASubnetLeftCarriesTheErrorAndSoDoItsServiceAndTask() {
        // a default pool of two /24s
        Ipam ipam = new Ipam(new VniAllocator(), new SubnetPool(Subnet.parse("10.0.0.0/23"), 24), new PortAllocator());
        Allocator a = new Allocator(ipam);
        view.upsert(network("aaaa0000000000000000000aa", "a", null), 3);
        view.upsert(network("bbbb0000000000000000000bb", "b", null), 4);
        view.upsert(network("cccc0000000000000000000cc", "c", null), 5);
        view.upsert(service("s1", "web", NONE, "c"), 6);
        view.upsert(task("t1", "s1", "", TaskState.TASK_PENDING, NONE, "c"), 7);
        pass(a);
        assertEquals("10.0.0.0/24", net("a").getIpam(0).getSubnet());
        assertEquals("10.0.1.0/24", net("b").getIpam(0).getSubnet());
        assertEquals(NO_POOL, net("c").getAllocationError());
        assertEquals(0, net("c").getVni());
        assertEquals(0, net("c").getIpamCount());
        assertEquals(null, ipam.network("cccc0000000000000000000cc"));
        assertTrue(!ipam.holders().contains("network/cccc0000000000000000000cc"), "the failed network holds nothing");
        String why = "network c could not be allocated: " + NO_POOL;
        assertEquals(why, view.service("s1").getAllocationError());
        assertEquals(Allocator.TASK_ERROR_PREFIX + why, view.task("t1").getStatus().getErr());
        assertEquals(0, view.task("t1").getNetworksCount());
        assertEquals(List.of(), pass(a), "the same failure is not written again");

        // a network goes: the failed one takes its subnet, and its service and task are allocated in the same pass
        view.delete(Kind.KIND_NETWORK, "aaaa0000000000000000000aa", ++index);
        pass(a);
        assertEquals("", net("c").getAllocationError());
        assertEquals("10.0.0.0/24", net("c").getIpam(0).getSubnet());
        assertEquals("10.0.0.1", net("c").getIpam(0).getGateway());
        assertNotEquals(0, net("c").getVni());
        assertEquals("", view.service("s1").getAllocationError());
        assertEquals(1, view.service("s1").getEndpoint().getVirtualIpsCount());
        assertEquals(1, view.task("t1").getNetworksCount());
        assertEquals("", view.task("t1").getStatus().getErr());
        assertEquals(List.of(), pass(a));
    }

    @Test
    void aFailedNetworkLeaksNothingAndTheNextOneAllocatesAfterItIsRemoved() {
        // one /24 in the default pool, four VXLAN ids
        Ipam ipam = new Ipam(new VniAllocator(4097, 4100), new SubnetPool(Subnet.parse("10.0.0.0/24"), 24),
                new PortAllocator());
        Allocator a = new Allocator(ipam);
        view.upsert(network("aaaa0000000000000000000aa", "a", null), 3);
        view.upsert(network("bbbb0000000000000000000bb", "b", null), 4);
        pass(a);
        assertEquals(4097, net("a").getVni());
        assertEquals(NO_POOL, net("b").getAllocationError());
        // the VXLAN id b took before its subnet failed was given back: the next network gets it
        view.upsert(network("cccc0000000000000000000cc", "c", "172.30.0.0/24"), ++index);
        pass(a);
        assertEquals(4098, net("c").getVni());
        assertEquals("", net("c").getAllocationError());
        // the gateway removes the failed network (the user's create was refused): nothing of it remains
        view.delete(Kind.KIND_NETWORK, "bbbb0000000000000000000bb", ++index);
        assertEquals(List.of(), pass(a));
        assertEquals(java.util.Set.of("network/aaaa0000000000000000000aa", "network/cccc0000000000000000000cc"),
                ipam.holders());
        // a released subnet goes to the next network without one
        view.delete(Kind.KIND_NETWORK, "aaaa0000000000000000000aa", ++index);
        view.upsert(network("dddd0000000000000000000dd", "d", null), ++index);
        pass(a);
        assertEquals("10.0.0.0/24", net("d").getIpam(0).getSubnet());
        assertEquals(4097, net("d").getVni());
        assertEquals("", net("d").getAllocationError());
    }

    @Test
    void noVxlanIdLeftIsTheNetworksErrorAndItsSubnetIsNotHeld() {
        Ipam ipam = new Ipam(new VniAllocator(4097, 4097), new SubnetPool(), new PortAllocator());
        Allocator a = new Allocator(ipam);
        view.upsert(network("aaaa0000000000000000000aa", "a", null), 3);
        view.upsert(network("bbbb0000000000000000000bb", "b", "172.30.0.0/24"), 4);
        view.upsert(service("s1", "web", NONE, "bbbb0"), 5);
        pass(a);
        assertEquals("no VXLAN id left (4097-4097 all in use)", net("b").getAllocationError());
        assertEquals("network b could not be allocated: no VXLAN id left (4097-4097 all in use)",
                view.service("s1").getAllocationError(), "found by id prefix as the service names it");
        view.delete(Kind.KIND_NETWORK, "bbbb0000000000000000000bb", ++index);
        pass(a);
        assertEquals("network bbbb0 not found", view.service("s1").getAllocationError());
        // b's subnet was never held: another network may take it once a VXLAN id is free
        view.delete(Kind.KIND_NETWORK, "aaaa0000000000000000000aa", ++index);
        view.upsert(network("cccc0000000000000000000cc", "c", "172.30.0.0/24"), ++index);
        pass(a);
        assertEquals(4097, net("c").getVni());
        assertEquals("172.30.0.0/24", net("c").getIpam(0).getSubnet());
    }
}
