package io.flotilla.dns.view;

import io.flotilla.contracts.v1.EndpointMode;
import io.flotilla.contracts.v1.Op;
import io.flotilla.contracts.v1.TaskState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

import static io.flotilla.dns.view.Fixtures.event;
import static io.flotilla.dns.view.Fixtures.ip;
import static io.flotilla.dns.view.Fixtures.network;
import static io.flotilla.dns.view.Fixtures.obj;
import static io.flotilla.dns.view.Fixtures.running;
import static io.flotilla.dns.view.Fixtures.service;
import static io.flotilla.dns.view.Fixtures.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The walkthrough's discovery setup: nodejs (vip, 2 replicas) and busybox on "internal", "secret" on "other". */
class NameTableTest {
    static final InetAddress BUSYBOX = ip("172.32.0.7");
    static final InetAddress OTHER_TASK = ip("10.1.0.3");

    NameTable table;

    @BeforeEach
    void load() {
        table = new NameTable();
        table.load(List.of(
                obj(network("n1", "internal", false)),
                obj(network("n2", "other", false)),
                obj(network("ing", "ingress", true)),
                obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24", "ing=10.255.0.6/16")),
                obj(running("t2", "s1", "nodejs", 2, "n1=172.32.0.4/24", "ing=10.255.0.7/16")),
                obj(service("s1", "nodejs", EndpointMode.ENDPOINT_VIP, "n1=172.32.0.2/24", "ing=10.255.0.5/16")),
                obj(service("s2", "busybox", EndpointMode.ENDPOINT_VIP, "n1=172.32.0.6/24")),
                obj(running("b1", "s2", "busybox", 1, "n1=172.32.0.7/24=bb")),
                obj(service("s3", "secret", EndpointMode.ENDPOINT_VIP, "n2=10.1.0.2/24")),
                obj(running("o1", "s3", "secret", 1, "n2=10.1.0.3/24")),
                obj(Fixtures.attachedTo(service("s4", "rr", EndpointMode.ENDPOINT_DNSRR), "internal")),
                obj(running("r1", "s4", "rr", 1, "n1=172.32.0.10/24=db")),
                obj(running("r2", "s4", "rr", 2, "n1=172.32.0.11/24=db"))), 10);
    }

    private List<InetAddress> ask(InetAddress from, String name) {
        return table.resolve(from, name).orElse(null);
    }

    private static List<InetAddress> ips(String... s) {
        return java.util.Arrays.stream(s).map(Fixtures::ip).toList();
    }

    @Test
    void aVipServiceResolvesToItsVipOnTheAskersNetworkOnly() {
        assertEquals(ips("172.32.0.2"), ask(BUSYBOX, "nodejs"));
        assertEquals(ips("172.32.0.2"), ask(BUSYBOX, "NodeJS."));
        assertEquals(ips("172.32.0.2"), ask(BUSYBOX, "nodejs.internal"));
        assertEquals(null, ask(BUSYBOX, "secret"), "a service on another network is not answered");
        assertEquals(null, ask(BUSYBOX, "secret.other"));
        assertEquals(ips("10.1.0.2"), ask(OTHER_TASK, "secret"));
        assertEquals(null, ask(OTHER_TASK, "nodejs"));
        assertEquals(null, ask(BUSYBOX, "nodejs.other"));
        assertEquals(null, ask(BUSYBOX, "docker.com"));
    }

    @Test
    void tasksNamesGiveTheRunningTasksAddresses() {
        assertEquals(ips("172.32.0.3", "172.32.0.4"), ask(BUSYBOX, "tasks.nodejs"));
        assertEquals(ips("172.32.0.3", "172.32.0.4"), ask(BUSYBOX, "tasks.nodejs.internal"));
        assertEquals(null, ask(BUSYBOX, "tasks.secret"));
    }

    @Test
    void dnsrrServiceGivesTaskAddressesNotAVip() {
        assertEquals(ips("172.32.0.10", "172.32.0.11"), ask(BUSYBOX, "rr"));
        assertEquals(ips("172.32.0.10", "172.32.0.11"), ask(BUSYBOX, "tasks.rr"));
    }

    @Test
    void taskAndContainerNamesResolveToTheTaskAddress() {
        assertEquals(ips("172.32.0.3"), ask(BUSYBOX, "nodejs.1.t1"));
        assertEquals(ips("172.32.0.4"), ask(BUSYBOX, "nodejs.2"));
        assertEquals(ips("172.32.0.3"), ask(BUSYBOX, "nodejs.1.t1.internal"));
        assertEquals(null, ask(OTHER_TASK, "nodejs.1.t1"));
    }

    @Test
    void aliasesResolveToTheVipInVipModeAndToTasksInDnsrr() {
        assertEquals(ips("172.32.0.6"), ask(ip("172.32.0.3"), "bb"));
        assertEquals(ips("172.32.0.7"), ask(ip("172.32.0.3"), "tasks.bb"));
        assertEquals(ips("172.32.0.10", "172.32.0.11"), ask(BUSYBOX, "db"));
        assertEquals(null, ask(OTHER_TASK, "db"));
    }

    @Test
    void theIngressNetworkGivesNoNames() {
        InetAddress onlyIngress = ip("10.255.0.9");
        table.apply(event(11, Op.OP_CREATE, obj(running("i1", "s5", "edge", 1, "ing=10.255.0.9/16"))));
        assertEquals(null, ask(onlyIngress, "nodejs"));
        assertEquals(ips("172.32.0.2"), ask(ip("10.255.0.6"), "nodejs"), "t1 asks from its ingress address: its networks");
    }

    @Test
    void aStoppingTaskDisappearsAtOnce() {
        table.apply(event(11, Op.OP_UPDATE, obj(task("t1", "s1", "nodejs", 1, TaskState.TASK_RUNNING,
                TaskState.TASK_SHUTDOWN, "n1=172.32.0.3/24"))));
        assertEquals(ips("172.32.0.4"), ask(BUSYBOX, "tasks.nodejs"));
        assertEquals(null, ask(BUSYBOX, "nodejs.1.t1"));
        assertEquals(null, ask(ip("172.32.0.3"), "busybox"), "a stopped task's own queries are no longer answered");
        table.apply(event(12, Op.OP_UPDATE, obj(task("r1", "s4", "rr", 1, TaskState.TASK_FAILED,
                TaskState.TASK_RUNNING, "n1=172.32.0.10/24"))));
        assertEquals(ips("172.32.0.11"), ask(BUSYBOX, "rr"));
        table.apply(event(13, Op.OP_DELETE, obj(running("r2", "s4", "rr", 2, "n1=172.32.0.11/24"))));
        assertEquals(List.of(), ask(BUSYBOX, "rr"), "a dnsrr service on the network without tasks: known, no address");
    }

    @Test
    void aRunningTasksNewAddressOrNameShowsAtOnceAndStatusOnlyChangesKeepTheAnswers() {
        long changes = table.changes();
        table.apply(event(11, Op.OP_UPDATE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24", "ing=10.255.0.6/16"))));
        assertEquals(changes, table.changes(), "the same task again changes no answer");
        table.apply(event(12, Op.OP_UPDATE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.9/24", "ing=10.255.0.6/16"))));
        assertEquals(ips("172.32.0.9", "172.32.0.4"), ask(BUSYBOX, "tasks.nodejs"));
        assertEquals(ips("172.32.0.9"), ask(BUSYBOX, "nodejs.1"));
        table.apply(event(13, Op.OP_UPDATE, obj(running("t1", "s1", "nodejs", 5, "n1=172.32.0.9/24"))));
        assertEquals(null, ask(BUSYBOX, "nodejs.1"));
        assertEquals(ips("172.32.0.9"), ask(BUSYBOX, "nodejs.5"));
        assertEquals(changes + 2, table.changes());
    }

    @Test
    void aTaskWithoutNetworksIsNotHeldAndChangesNoAnswer() {
        long changes = table.changes();
        int running = table.runningTasks();
        table.apply(event(11, Op.OP_CREATE, obj(task("p1", "s9", "plain", 1, TaskState.TASK_NEW, TaskState.TASK_RUNNING))));
        table.apply(event(12, Op.OP_UPDATE, obj(running("p1", "s9", "plain", 1))));
        assertEquals(running, table.runningTasks());
        assertFalse(table.holdsTask("p1"), "on no network: in no answer, so not kept (its events need no decoding)");
        assertEquals(null, ask(BUSYBOX, "plain.1"), "no address on the asker's network: not ours");
        table.apply(event(13, Op.OP_UPDATE, obj(task("p1", "s9", "plain", 1, TaskState.TASK_COMPLETE, TaskState.TASK_SHUTDOWN))));
        assertEquals(running, table.runningTasks());
        assertEquals(changes, table.changes());
    }

    @Test
    void scalingToThreeShowsThreeAddresses() {
        table.apply(event(11, Op.OP_CREATE, obj(task("t3", "s1", "nodejs", 3, TaskState.TASK_PENDING,
                TaskState.TASK_RUNNING, "n1=172.32.0.5/24"))));
        assertEquals(2, ask(BUSYBOX, "tasks.nodejs").size(), "not running yet");
        table.apply(event(12, Op.OP_UPDATE, obj(running("t3", "s1", "nodejs", 3, "n1=172.32.0.5/24"))));
        assertEquals(ips("172.32.0.3", "172.32.0.4", "172.32.0.5"), ask(BUSYBOX, "tasks.nodejs"));
    }

    @Test
    void aNewServiceResolvesOnceItsVipIsAllocated() {
        table.apply(event(11, Op.OP_CREATE, obj(service("s6", "api", EndpointMode.ENDPOINT_VIP))));
        assertEquals(null, ask(BUSYBOX, "api"));
        table.apply(event(12, Op.OP_UPDATE, obj(service("s6", "api", EndpointMode.ENDPOINT_VIP, "n1=172.32.0.20/24"))));
        assertEquals(ips("172.32.0.20"), ask(BUSYBOX, "api"));
        table.apply(event(13, Op.OP_DELETE, obj(service("s6", "api", EndpointMode.ENDPOINT_VIP, "n1=172.32.0.20/24"))));
        assertEquals(null, ask(BUSYBOX, "api"));
    }

    @Test
    void redeliveredAndSnapshotCoveredEventsAreDropped() {
        assertFalse(table.apply(event(9, Op.OP_DELETE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")))),
                "at or below the snapshot's index");
        assertEquals(ips("172.32.0.3"), ask(BUSYBOX, "nodejs.1"));
        assertTrue(table.apply(event(11, Op.OP_DELETE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")))));
        assertFalse(table.apply(event(11, Op.OP_DELETE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")))));
        table.apply(event(12, Op.OP_UPDATE, obj(running("t2", "s1", "nodejs", 2, "n1=172.32.0.4/24"))));
        assertFalse(table.apply(event(11, Op.OP_CREATE, obj(running("t1", "s1", "nodejs", 1, "n1=172.32.0.3/24")))));
        assertEquals(null, ask(BUSYBOX, "nodejs.1"), "a redelivered create does not resurrect the task");
    }

    @Test
    void queriesFromAReportedGatewayAddressAreTheTasks() {
        InetAddress gw = ip("172.18.0.5");
        assertEquals(null, ask(gw, "nodejs"));
        table.putSources("b1", List.of(gw));
        assertEquals(ips("172.32.0.2"), ask(gw, "nodejs"));
        assertEquals(Optional.of("b1"), table.taskAt(gw));
        table.removeSources("b1");
        assertEquals(null, ask(gw, "nodejs"));
        table.replaceSources(java.util.Map.of("o1", List.of(gw)));
        assertEquals(ips("10.1.0.2"), ask(gw, "secret"));
        assertEquals(null, ask(gw, "nodejs"));
    }

    @Test
    void reverseNamesForTaskAddressesAndVipsOnSharedNetworks() {
        assertEquals(Optional.of("nodejs.1.t1.internal"), table.reverse(BUSYBOX, ip("172.32.0.3")));
        assertEquals(Optional.of("nodejs.internal"), table.reverse(BUSYBOX, ip("172.32.0.2")));
        assertEquals(Optional.empty(), table.reverse(BUSYBOX, ip("10.1.0.3")));
    }

    @Test
    void srvForNamedPortsListsTheTasks() {
        var targets = table.srv(BUSYBOX, "_http._tcp.nodejs").orElseThrow();
        assertEquals(2, targets.size());
        assertEquals(8080, targets.get(0).port());
        assertEquals("nodejs.1.t1.internal", targets.get(0).target());
        assertEquals(Optional.empty(), table.srv(BUSYBOX, "_http._tcp.secret"));
    }
}
