package io.flotilla.agent.supervisor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A service's niceness changes when it is ready, not at its start (a real child process, real renice). */
class ReadyPriorityTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private Process child;

    @AfterEach
    void cleanUp() {
        timer.shutdownNow();
        if (child != null) {
            child.destroyForcibly();
        }
    }

    /** Field 19 of /proc/PID/stat (the main thread's), after the command name in parentheses. */
    private static int niceOf(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }

    private static int ourNice() throws Exception {
        return niceOf(ProcessHandle.current().pid());
    }

    /**
     * Starts {@code command} (a single-threaded process), gives it {@code target} once a port answers, and checks
     * that it keeps {@code startedAt} until then and has {@code target} after.
     */
    private void startThenReady(List<String> command, int startedAt, int target) throws Exception {
        child = new ProcessBuilder(command).start();
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        new ReadyPriority(target, port).schedule("sleep", child.toHandle(), timer);

        Thread.sleep(4 * ReadyPriority.POLL_MS);
        assertEquals(startedAt, niceOf(child.pid()), "not ready yet: as started");

        try (ServerSocket ready = new ServerSocket(port)) {
            long deadline = System.currentTimeMillis() + 10_000;
            while (niceOf(child.pid()) != target && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(target, niceOf(child.pid()), "ready");
        }
    }

    @Test
    void theNicenessChangesOnceThePortAnswersAndNotBefore() throws Exception {
        int ours = ourNice();
        startThenReady(List.of("sleep", "60"), ours, Math.min(19, ours + 7)); // a higher niceness needs no privilege
    }

    @Test
    void aServiceStartedInTheBackgroundGetsTheAgentsPriorityOnceReady() throws Exception {
        // a lower niceness than the current one needs CAP_SYS_NICE: the agent runs as root
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        int ours = ourNice();
        startThenReady(List.of("nice", "-n", "10", "sleep", "60"), Math.min(19, ours + 10), ours);
    }

    @Test
    void aProcessThatIsGoneIsLeftAlone() throws Exception {
        child = new ProcessBuilder("true").start();
        child.waitFor();
        assertEquals(0, new ReadyPriority(5, 1).apply("true", child.pid()));
    }

    @Test
    void theJitsCompilerThreadsAreKnownByTheirNames() throws Exception {
        assertTrue(ReadyPriority.compiler("C2 CompilerThre"));
        assertTrue(ReadyPriority.compiler("C1 CompilerThre"));
        assertFalse(ReadyPriority.compiler("dns-udp-0"));
        // this JVM has compiler threads under those names
        long pid = ProcessHandle.current().pid();
        assertTrue(ReadyPriority.threads(pid).stream().anyMatch(t -> ReadyPriority.compiler(ReadyPriority.threadName(pid, t))));
    }

    @Test
    void onlyTheFavouredThreadsGetAPriorityAboveTheAgents() {
        ReadyPriority dns = new ReadyPriority(-5, 1, ManagerServices.DNS_RECEIVERS);
        assertEquals(-5, dns.niceFor("dns-udp-0"));
        assertEquals(-5, dns.niceFor("dns-tcp-accept"));
        assertEquals(0, dns.niceFor("dns-state-event"), "the state feed runs as the agent");
        assertEquals(0, dns.niceFor("kafka-coordinat"));
        assertEquals(0, dns.niceFor("C2 CompilerThre"));
        ReadyPriority store = new ReadyPriority(-5, 1, ManagerServices.STORE_HEARTBEATS);
        assertEquals(-5, store.niceFor("vert.x-eventloo"), "the gRPC server's event loops take the heartbeats");
        assertEquals(-5, store.niceFor("flotilla-dispat"));
        assertEquals(-5, store.niceFor("flotilla-host-p"));
        assertEquals(0, store.niceFor("runner-1"));
        assertEquals(0, store.niceFor("kafka-producer-"));
        ReadyPriority background = new ReadyPriority(0, 1);
        assertEquals(0, background.niceFor("executor-threa"));
        ReadyPriority lower = new ReadyPriority(7, 1);
        assertEquals(7, lower.niceFor("anything"));
        assertEquals(7, lower.niceFor("C1 CompilerThre"), "a lower priority applies to the compilers too");
    }

    @Test
    void reniceGetsEveryThread() {
        assertEquals(List.of("renice", "-n", "-5", "-p", "12", "13"), ReadyPriority.command(-5, List.of(12L, 13L)));
    }
}
