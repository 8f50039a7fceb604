package io.flotilla.agent.supervisor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor with `sleep` standing in for the manager services (each module its own duration). */
class SupervisorTest {

    @TempDir
    Path tmp;
    private Supervisor sup;

    private Supervisor supervisor() {
        return new Supervisor(tmp.resolve("run"), tmp.resolve("data"), "swarm00", "127.0.0.1:9092", m -> {
            String secs = Integer.toString(86000 + ManagerEnv.MODULES.indexOf(m));
            return new Supervisor.Command(List.of("sleep", secs), "sleep " + secs);
        }, 2000);
    }

    @AfterEach
    void stopAll() {
        if (sup != null) {
            sup.stop();
        }
    }

    private static long pidfile(Path run, String module) throws Exception {
        return Long.parseLong(Files.readString(run.resolve("pids/" + module + ".pid")).trim());
    }

    @Test
    void startsEveryModuleWithPidfilesAndLogsAndStopsThemByPid() throws Exception {
        sup = supervisor();
        sup.start(new Launch("n1", "10.0.0.1", true));
        Map<String, Long> pids = sup.pids();
        assertEquals(List.of("cluster-state", "api-gateway", "scheduler-svc", "network-svc"),
                List.copyOf(pids.keySet()));
        for (var e : pids.entrySet()) {
            assertEquals(e.getValue(), pidfile(tmp.resolve("run"), e.getKey()));
            assertTrue(Files.exists(tmp.resolve("run/logs/" + e.getKey() + ".log")));
        }
        sup.stop();
        for (long pid : pids.values()) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        }
        assertFalse(Files.exists(tmp.resolve("run/pids/cluster-state.pid")));
        assertTrue(sup.launch().isEmpty());
    }

    @Test
    void aRenewedIdentityRestartsEveryServiceButTheStore() throws Exception {
        sup = supervisor();
        sup.start(new Launch("n1", "10.0.0.1", true));
        Map<String, Long> before = sup.pids();
        sup.reloadIdentity();
        Map<String, Long> after = sup.pids();
        assertEquals(before.keySet(), after.keySet());
        assertEquals(before.get("cluster-state"), after.get("cluster-state"), "the store keeps running");
        for (String m : List.of("api-gateway", "scheduler-svc", "network-svc")) {
            assertNotEquals(before.get(m), after.get(m), m + " restarted");
            assertFalse(ProcessHandle.of(before.get(m)).map(ProcessHandle::isAlive).orElse(false), m + "'s old process gone");
            assertEquals(after.get(m), pidfile(tmp.resolve("run"), m));
        }
    }

    @Test
    void restartsAChildThatDies() throws Exception {
        sup = supervisor();
        sup.start(new Launch("n1", "10.0.0.1", true));
        long before = sup.pids().get("scheduler-svc");
        ProcessHandle.of(before).orElseThrow().destroyForcibly();
        long deadline = System.currentTimeMillis() + 10_000;
        Long after = null;
        while (System.currentTimeMillis() < deadline) {
            after = sup.pids().get("scheduler-svc");
            if (after != null && after != before) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(after != null && after != before, "restarted with a new pid");
        assertEquals(after, pidfile(tmp.resolve("run"), "scheduler-svc"));
    }

    @Test
    void aNewAgentAdoptsLiveServicesInsteadOfDuplicatingThem() throws Exception {
        Supervisor first = supervisor();
        first.start(new Launch("n1", "10.0.0.1", true));
        Map<String, Long> pids = first.pids();
        first.detach(); // the agent went away; its children live on

        sup = supervisor();
        assertEquals(new Launch("n1", "10.0.0.1", true), sup.launch().orElseThrow(), "launch kept on disk");
        sup.resume(new Launch("other", "x", false));
        assertEquals(pids, sup.pids());
    }

    @Test
    void aStalePidfileOfAnotherProgramIsNotAdopted() throws Exception {
        Files.createDirectories(tmp.resolve("run/pids"));
        Files.writeString(tmp.resolve("run/pids/cluster-state.pid"), ProcessHandle.current().pid() + "\n");
        sup = supervisor();
        sup.start(new Launch("n1", "10.0.0.1", true));
        assertNotEquals(ProcessHandle.current().pid(), sup.pids().get("cluster-state"));
    }

    @Test
    void environmentOfTheStoreCarriesTheRaftSettings() {
        Map<String, String> env = ManagerEnv.of(ManagerEnv.MODULES.get(0), new Launch("abc", "10.0.0.1", true),
                "swarm00", "/d", "k:9092");
        assertEquals("abc", env.get("FLOTILLA_RAFT_ID"));
        assertEquals("abc@10.0.0.1:7946", env.get("FLOTILLA_RAFT_MEMBERS"));
        assertEquals("true", env.get("FLOTILLA_BOOTSTRAP"));
        assertEquals("/d/cluster-state", env.get("FLOTILLA_DATA"));
        assertEquals("9102", env.get("FLOTILLA_HTTP_PORT"));
        assertEquals("127.0.0.1", env.get("FLOTILLA_STORE_HOST"));
        assertFalse(ManagerEnv.of(ManagerEnv.MODULES.get(1), new Launch("abc", "10.0.0.1", true), "swarm00", "/d",
                "k").containsKey("FLOTILLA_RAFT_ID"));
    }

    /** Starts every service with a gate that opens after 300 ms; the services that were running when it was asked. */
    private List<String> runningAtTheGate(Launch launch) throws Exception {
        java.util.concurrent.CountDownLatch identity = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<List<String>> atGate = new java.util.concurrent.atomic.AtomicReference<>();
        Supervisor[] holder = new Supervisor[1];
        sup = new Supervisor(tmp.resolve("run"), tmp.resolve("data"), "swarm00", "127.0.0.1:9092", m -> {
            String secs = Integer.toString(86000 + ManagerEnv.MODULES.indexOf(m));
            return new Supervisor.Command(List.of("sleep", secs), "sleep " + secs);
        }, 2000, () -> {
            atGate.set(List.copyOf(holder[0].pids().keySet()));
            try {
                return identity.await(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return false;
            }
        });
        holder[0] = sup;
        Thread starter = new Thread(() -> {
            try {
                sup.start(launch);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        starter.start();
        Thread.sleep(300);
        identity.countDown();
        starter.join(10_000);
        assertEquals(ManagerEnv.MODULES.size(), sup.pids().size(), "every service runs once the identity is there");
        return atGate.get();
    }

    @Test
    void aJoiningManagersServicesAfterTheStoreWaitForTheNodesIdentityAndAreToldWhereItIs() throws Exception {
        // a joining or promoted manager may still hold a worker's certificate: nothing but the store starts before
        assertEquals(List.of("cluster-state"), runningAtTheGate(new Launch("n1", "10.0.0.1", false, List.of("m0@10.0.0.9:7946"))));
        Map<String, String> env = ManagerEnv.of(ManagerEnv.MODULES.get(2), new Launch("n1", "10.0.0.1", true),
                "swarm00", "/d", "k");
        assertEquals("/d/certificates/swarm-node.crt", env.get("FLOTILLA_TLS_CERT"));
        assertEquals("/d/certificates/swarm-node.key", env.get("FLOTILLA_TLS_KEY"));
        assertEquals("/d/certificates/swarm-root-ca.crt", env.get("FLOTILLA_TLS_CA"));
    }

    @Test
    void atASwarmInitTheGatewayStartsBesideTheStoreAndTheOthersWaitForTheIdentity() throws Exception {
        assertEquals(List.of("cluster-state", "api-gateway"), runningAtTheGate(new Launch("n1", "10.0.0.1", true)));
    }
}
