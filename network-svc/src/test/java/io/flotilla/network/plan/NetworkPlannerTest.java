package io.flotilla.network.plan;

import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.EndpointSpec;
import io.flotilla.contracts.v1.NetworkPlan;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.OverlayPlan;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.network.allocator.Allocator;
import io.flotilla.network.ipam.Ipam;
import io.flotilla.network.view.NetworkView;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.flotilla.network.allocator.Fixtures.cluster;
import static io.flotilla.network.allocator.Fixtures.network;
import static io.flotilla.network.allocator.Fixtures.node;
import static io.flotilla.network.allocator.Fixtures.publish;
import static io.flotilla.network.allocator.Fixtures.service;
import static io.flotilla.network.allocator.Fixtures.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkPlannerTest {
    private final NetworkView view = new NetworkView();
    private long index = 10;

    private void allocate() {
        Allocator a = new Allocator(new Ipam());
        for (int i = 0; i < 3; i++) {
            for (Change c : a.reconcile(view, 1)) {
                view.upsert(c.getObject(), ++index);
            }
        }
    }

    private void setState(String taskId, TaskState s) {
        Task t = view.task(taskId);
        view.upsert(StoredObject.newBuilder().setTask(t.toBuilder().setStatus(t.getStatus().toBuilder().setState(s))).build(),
                ++index);
    }

    @Test
    void overlaysVtepsNeighboursVipsAndPublishedPorts() {
        view.upsert(cluster("c1"), 1);
        view.upsert(node("n0", "10.10.10.60"), 2);
        StoredObject n1 = node("n1", "10.10.10.61");
        view.upsert(n1.toBuilder().setNode(n1.getNode().toBuilder().setDescription(
                NodeDescription.newBuilder().setHostname("swarm01"))).build(), 3);
        view.upsert(node("n2", "10.10.10.62:2377"), 4);
        view.upsert(network("internal0000000000000000a", "internal", "172.32.0.0/24"), 5);
        EndpointSpec p80 = publish(8080, 80);
        view.upsert(service("s1", "nodejs", p80, "internal"), 6);
        view.upsert(task("t1", "s1", "n1", TaskState.TASK_RUNNING, p80, "internal"), 7);
        view.upsert(task("t2", "s1", "n2", TaskState.TASK_RUNNING, p80, "internal"), 8);
        allocate();
        Task t1 = view.task("t1");
        Task t2 = view.task("t2");

        // n0 runs nothing: ingress only, every other node a VTEP, the published port with both backends
        NetworkPlan p0 = NetworkPlanner.plan(view, "n0");
        assertEquals(1, p0.getOverlaysCount());
        OverlayPlan ing = p0.getOverlays(0);
        assertTrue(ing.getIngress());
        assertEquals(4096, ing.getVni());
        assertEquals("10.255.0.1/16", ing.getGateway());
        assertEquals(List.of("10.10.10.61", "10.10.10.62"), ing.getPeerVtepsList());
        assertEquals(Map.of("10.10.10.61", "swarm01"), ing.getPeerNamesMap(), "hostnames where the node gave one");
        // neighbours: the two tasks and the two remote ingress sandboxes
        assertEquals(4, ing.getNeighborsCount());
        assertEquals(1, p0.getPublishedPortsCount());
        assertEquals(80, p0.getPublishedPorts(0).getPublishedPort());
        assertEquals(2, p0.getPublishedPorts(0).getBackendsCount());
        assertTrue(p0.getIngressSandbox().getAddresses(0).startsWith("10.255.0."));

        // n1: ingress and internal; on internal the only peer is n2, with t2's entry; t1 is local
        NetworkPlan p1 = NetworkPlanner.plan(view, "n1");
        assertEquals(2, p1.getOverlaysCount());
        OverlayPlan internal = p1.getOverlays(1);
        assertEquals("internal", internal.getName());
        assertEquals(List.of("10.10.10.62"), internal.getPeerVtepsList());
        assertEquals(1, internal.getNeighborsCount());
        assertEquals(t2.getNetworks(1).getAddresses(0).replace("/24", ""), internal.getNeighbors(0).getIp());
        assertEquals(t2.getNetworks(1).getMac(), internal.getNeighbors(0).getMac());
        assertEquals("10.10.10.62", internal.getNeighbors(0).getVtep());
        assertEquals("t1", internal.getLocalEndpoints(0).getTaskId());
        // VIPs of both networks present, with both tasks as backends
        assertEquals(2, p1.getVipsCount());
        assertEquals("172.32.0.2", p1.getVips(1).getVip());
        assertEquals(2, p1.getVips(1).getBackendsCount());

        // a task that stops leaves the backend sets at once; its node's overlay goes when no task needs it
        setState("t2", TaskState.TASK_FAILED);
        NetworkPlan after = NetworkPlanner.plan(view, "n1");
        assertEquals(List.of(t1.getNetworks(1).getAddresses(0).replace("/24", "")), after.getVips(1).getBackendsList());
        assertEquals(0, after.getOverlays(1).getNeighborsCount());
        assertEquals(1, NetworkPlanner.plan(view, "n2").getOverlaysCount());
        assertEquals(NetworkPlanner.plan(view, "n1"), after, "deterministic");
    }
}
