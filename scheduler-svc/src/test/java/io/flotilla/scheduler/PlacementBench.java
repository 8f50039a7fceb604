package io.flotilla.scheduler;

import io.flotilla.contracts.v1.Change;
import io.flotilla.contracts.v1.Meta;
import io.flotilla.contracts.v1.Node;
import io.flotilla.contracts.v1.NodeAvailability;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.NodeSpec;
import io.flotilla.contracts.v1.NodeState;
import io.flotilla.contracts.v1.NodeStatus;
import io.flotilla.contracts.v1.Placement;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Resources;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.ServiceSpec;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.TaskSpec;
import io.flotilla.scheduler.orchestrator.Orchestrator;
import io.flotilla.scheduler.placement.TaskScheduler;
import io.flotilla.scheduler.plan.Plan;
import io.flotilla.scheduler.state.ClusterView;

/**
 * Not a test: placement at scale in the domain (no store). Usage:
 * java -Xmx1g -cp target/test-classes:target/classes:$(deps) io.flotilla.scheduler.PlacementBench [nodes] [replicas] [services]
 */
public final class PlacementBench {
    public static void main(String[] args) {
        int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int replicas = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int services = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        for (int round = 0; round < 2; round++) {
            run(nodes, replicas, services, round == 0 ? "warm-up" : "measured");
        }
    }

    private static void run(int nodes, int replicas, int services, String label) {
        System.gc();
        long heapBefore = usedHeap();
        ClusterView view = new ClusterView();
        long version = 1;
        for (int i = 0; i < nodes; i++) {
            Node n = Node.newBuilder().setMeta(Meta.newBuilder().setId(String.format("node%021d", i)))
                    .setSpec(NodeSpec.newBuilder().setAvailability(NodeAvailability.AVAILABILITY_ACTIVE)
                            .putLabels("zone", "z" + (i % 3)))
                    .setDescription(NodeDescription.newBuilder().setHostname("host" + i)
                            .setResources(Resources.newBuilder().setNanoCpus(64_000_000_000L).setMemoryBytes(256L << 30)))
                    .setStatus(NodeStatus.newBuilder().setState(NodeState.NODE_READY))
                    .setRole(i < 3 ? NodeRole.ROLE_MANAGER : NodeRole.ROLE_WORKER).build();
            view.upsert(StoredObject.newBuilder().setNode(n).build(), version++);
        }
        int per = replicas / services;
        for (int s = 0; s < services; s++) {
            TaskSpec.Builder task = TaskSpec.newBuilder()
                    .setContainer(io.flotilla.contracts.v1.ContainerSpec.newBuilder().setImage("web"))
                    .setReservations(Resources.newBuilder().setNanoCpus(10_000_000L).setMemoryBytes(16L << 20))
                    .setPlacement(Placement.newBuilder().addConstraints("node.role==worker")
                            .addConstraints(s % 2 == 0 ? "node.labels.zone!=z0" : "node.labels.zone!=z9"));
            Service svc = Service.newBuilder().setMeta(Meta.newBuilder().setId(String.format("svc%022d", s)))
                    .setSpec(ServiceSpec.newBuilder().setName("s" + s).setTask(task)
                            .setReplicated(ReplicatedMode.newBuilder().setReplicas(per)))
                    .setSpecVersion(1).build();
            view.upsert(StoredObject.newBuilder().setService(svc).build(), version++);
        }
        long now = 1_000_000;
        Orchestrator orchestrator = new Orchestrator();
        TaskScheduler scheduler = new TaskScheduler();

        long t0 = System.nanoTime();
        int created = 0;
        for (Service s : view.services().toArray(new Service[0])) {
            Plan p = orchestrator.reconcile(view, s.getMeta().getId(), now);
            for (Change c : p.changes()) {
                view.upsert(c.getObject(), version++); // what the store's outcome would record
                created++;
            }
        }
        long t1 = System.nanoTime();
        Plan placement = scheduler.schedule(view, now);
        long t2 = System.nanoTime();
        int assigned = 0;
        for (Change c : placement.changes()) {
            view.upsert(c.getObject(), version++);
            if (!c.getObject().getTask().getNodeId().isEmpty()) {
                assigned++;
            }
        }
        long t3 = System.nanoTime();
        System.gc();
        long heapAfter = usedHeap();
        double orchMs = (t1 - t0) / 1e6;
        double schedMs = (t2 - t1) / 1e6;
        double recordMs = (t3 - t2) / 1e6;
        System.out.printf("%s: %d nodes, %d services, %d tasks created in %.0f ms (%.0f/s); %d assigned in %.0f ms "
                        + "(%.0f placements/s); recording into the view %.0f ms; total %.0f ms (%.0f tasks/s end to end); "
                        + "view heap %.0f MB%n",
                label, nodes, services, created, orchMs, created / (orchMs / 1e3), assigned, schedMs,
                assigned / (schedMs / 1e3), recordMs, orchMs + schedMs + recordMs,
                assigned / ((orchMs + schedMs + recordMs) / 1e3), (heapAfter - heapBefore) / 1e6);
        // the view is used after the measure, so that it is still reachable for the heap figure
        if (view.taskCount() != created) {
            throw new AssertionError("view lost tasks");
        }
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
