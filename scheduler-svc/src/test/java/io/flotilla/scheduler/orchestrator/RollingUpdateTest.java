package io.flotilla.scheduler.orchestrator;

import io.flotilla.contracts.v1.ContainerSpec;
import io.flotilla.contracts.v1.FailureAction;
import io.flotilla.contracts.v1.NodeRole;
import io.flotilla.contracts.v1.ReplicatedMode;
import io.flotilla.contracts.v1.Service;
import io.flotilla.contracts.v1.StoredObject;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskState;
import io.flotilla.contracts.v1.UpdateConfig;
import io.flotilla.scheduler.harness.Harness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RollingUpdateTest {
    Harness h;

    @BeforeEach
    void cluster() {
        h = new Harness();
        h.node("worker1", NodeRole.ROLE_WORKER);
        h.node("worker2", NodeRole.ROLE_WORKER);
    }

    private Service service(String id) {
        return h.store.list().stream().filter(StoredObject::hasService).map(StoredObject::getService)
                .filter(s -> s.getMeta().getId().equals(id)).findFirst().orElseThrow();
    }

    /** What the gateway does on `docker service update`: new spec, previous kept, version bumped, status cleared. */
    private void userUpdate(String svc, java.util.function.UnaryOperator<io.flotilla.contracts.v1.ServiceSpec.Builder> f) {
        h.updateService(svc, s -> s.setPreviousSpec(s.getSpec()).setSpec(f.apply(s.getSpec().toBuilder()))
                .setSpecVersion(s.getSpecVersion() + 1).clearUpdateStatus());
    }

    private static void image(io.flotilla.contracts.v1.ServiceSpec.Builder s, String image) {
        s.setTask(s.getTask().toBuilder().setContainer(ContainerSpec.newBuilder().setImage(image)));
    }

    private Set<String> wantedImages(String svc) {
        return h.wanted(svc).stream().map(t -> t.getSpec().getContainer().getImage()).collect(Collectors.toSet());
    }

    @Test
    void scaleKeepsTheTasksAndStampsThemWithTheNewSpecVersion() {
        String svc = h.service("web", 1);
        h.converge();
        h.runAll();
        Task first = h.wanted(svc).get(0);
        h.updateService(svc, s -> s.setSpec(s.getSpec().toBuilder().setReplicated(ReplicatedMode.newBuilder().setReplicas(2)))
                .setSpecVersion(2));
        h.converge();
        List<Task> wanted = h.wanted(svc);
        assertEquals(2, wanted.size());
        assertTrue(wanted.stream().anyMatch(t -> t.getMeta().getId().equals(first.getMeta().getId())), "slot 1 kept");
        for (Task t : wanted) {
            assertEquals(2, t.getSpecVersion(), "up to date: " + t.getSlot());
        }
        assertFalse(service(svc).hasUpdateStatus(), "a scale is no rolling update");
    }

    @Test
    void imageChangeReplacesOneTaskAtATimeAndCompletesAfterTheMonitorPeriod() {
        String svc = h.service("web", 3);
        h.converge();
        h.runAll();
        userUpdate(svc, s -> {
            image(s, "web:2");
            return s;
        });
        h.converge();
        assertEquals("updating", service(svc).getUpdateStatus().getState());
        // one replaced: the old one shut down, the new one in the same slot
        List<Task> v2 = h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).toList();
        assertEquals(1, v2.size());
        assertEquals("web:2", v2.get(0).getSpec().getContainer().getImage());
        long slot = v2.get(0).getSlot();
        assertEquals(2, h.slot(svc, slot).size());
        assertEquals(3, h.wanted(svc).size());
        // nothing more until it runs
        h.advance(1_000);
        assertEquals(1, h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).count());
        h.runAll();
        h.converge();
        assertEquals(2, h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).count());
        h.runAll();
        h.converge();
        h.runAll();
        h.converge();
        assertEquals(Set.of("web:2"), wantedImages(svc));
        assertEquals("updating", service(svc).getUpdateStatus().getState(), "monitor period not over");
        h.advance(5_000);
        assertEquals("completed", service(svc).getUpdateStatus().getState());
        assertEquals("update completed", service(svc).getUpdateStatus().getMessage());
        assertTrue(service(svc).getUpdateStatus().getCompletedAtMs() > 0);
    }

    @Test
    void parallelismAndDelayAreHonoured() {
        String svc = h.service("web", 4, s -> s.setUpdate(UpdateConfig.newBuilder().setParallelism(2)
                .setDelayNs(3_000_000_000L).setMonitorNs(1_000_000_000L)));
        h.converge();
        h.runAll();
        userUpdate(svc, s -> {
            image(s, "web:2");
            return s;
        });
        h.converge();
        assertEquals(2, h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).count());
        h.runAll();
        h.advance(2_999);
        assertEquals(2, h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).count(), "delay not over");
        h.advance(1);
        assertEquals(4, h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).count());
        h.runAll();
        h.advance(1_000);
        assertEquals("completed", service(svc).getUpdateStatus().getState());
    }

    @Test
    void forceUpdateReplacesTasksWithAnUnchangedImage() {
        String svc = h.service("web", 1);
        h.converge();
        h.runAll();
        Task first = h.wanted(svc).get(0);
        userUpdate(svc, s -> s.setTask(s.getTask().toBuilder().setForceUpdate(1)));
        h.converge();
        Task now = h.wanted(svc).get(0);
        assertFalse(now.getMeta().getId().equals(first.getMeta().getId()));
        assertEquals(TaskState.TASK_SHUTDOWN, h.store.task(first.getMeta().getId()).getDesiredState());
    }

    @Test
    void publishingAPortReplacesTheTasksAndAnUnchangedEndpointKeepsThem() {
        String svc = h.service("web", 1);
        h.converge();
        h.runAll();
        Task first = h.wanted(svc).get(0);
        userUpdate(svc, s -> s.setEndpoint(io.flotilla.contracts.v1.EndpointSpec.newBuilder().addPorts(
                io.flotilla.contracts.v1.PortConfig.newBuilder().setProtocol("tcp").setTargetPort(8080)
                        .setPublishedPort(80))));
        h.converge();
        Task now = h.wanted(svc).get(0);
        assertFalse(now.getMeta().getId().equals(first.getMeta().getId()), "--publish-add replaces the task");
        assertEquals(80, now.getEndpoint().getSpec().getPorts(0).getPublishedPort());
        h.runAll();
        h.advance(10_000);
        userUpdate(svc, s -> s.setReplicated(ReplicatedMode.newBuilder().setReplicas(1)));
        h.converge();
        assertEquals(now.getMeta().getId(), h.wanted(svc).get(0).getMeta().getId(), "same endpoint: kept");
    }

    @Test
    void constraintChangeTheNodeStillMeetsKeepsTheTask() {
        String svc = h.service("web", 1);
        h.converge();
        h.runAll();
        Task first = h.wanted(svc).get(0);
        userUpdate(svc, s -> s.setTask(s.getTask().toBuilder().setPlacement(
                io.flotilla.contracts.v1.Placement.newBuilder().addConstraints("node.role==worker"))));
        h.converge();
        assertEquals(List.of(first.getMeta().getId()), h.wanted(svc).stream().map(t -> t.getMeta().getId()).toList());
        assertEquals(2, h.wanted(svc).get(0).getSpecVersion());
    }

    @Test
    void failureOfANewTaskPausesTheUpdate() {
        String svc = h.service("web", 3);
        h.converge();
        h.runAll();
        userUpdate(svc, s -> {
            image(s, "missing:1");
            return s;
        });
        h.converge();
        Task bad = h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).findFirst().orElseThrow();
        h.report(bad.getMeta().getId(), TaskState.TASK_REJECTED);
        h.converge();
        Service s = service(svc);
        assertEquals("paused", s.getUpdateStatus().getState());
        assertEquals("update paused due to failure or early termination of task " + bad.getMeta().getId(),
                s.getUpdateStatus().getMessage());
        h.advance(10_000);
        h.runAll();
        h.advance(10_000);
        // the two other slots still run the old image
        assertEquals(2, h.wanted(svc).stream().filter(t -> t.getSpec().getContainer().getImage().equals("web")).count());
    }

    @Test
    void failureWithRollbackActionRestoresThePreviousSpec() {
        String svc = h.service("web", 2, s -> s.setUpdate(UpdateConfig.newBuilder().setParallelism(1)
                .setFailureAction(FailureAction.FAILURE_ROLLBACK)));
        h.converge();
        h.runAll();
        userUpdate(svc, s -> {
            image(s, "missing:1");
            return s;
        });
        h.converge();
        Task bad = h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).findFirst().orElseThrow();
        h.report(bad.getMeta().getId(), TaskState.TASK_FAILED);
        h.converge();
        Service s = service(svc);
        assertEquals("rollback_started", s.getUpdateStatus().getState());
        assertEquals("web", s.getSpec().getTask().getContainer().getImage());
        assertEquals(3, s.getSpecVersion());
        for (int i = 0; i < 5; i++) {
            h.runAll();
            h.advance(1_000);
        }
        h.advance(5_000);
        assertEquals(Set.of("web"), wantedImages(svc));
        assertEquals("rollback_completed", service(svc).getUpdateStatus().getState());
    }

    @Test
    void globalServiceRollsNodeByNode() {
        String svc = h.service("agent", 0, s -> s.clearReplicated().setGlobal(io.flotilla.contracts.v1.GlobalMode.getDefaultInstance()));
        h.converge();
        h.runAll();
        assertEquals(2, h.wanted(svc).size());
        userUpdate(svc, s -> {
            image(s, "web:2");
            return s;
        });
        h.converge();
        assertEquals(1, h.wanted(svc).stream().filter(t -> t.getSpecVersion() == 2).count());
        h.runAll();
        h.converge();
        h.runAll();
        h.advance(5_000);
        assertEquals(Set.of("web:2"), wantedImages(svc));
        assertEquals(2, h.wanted(svc).stream().map(Task::getNodeId).distinct().count());
        assertEquals("completed", service(svc).getUpdateStatus().getState());
    }
}
