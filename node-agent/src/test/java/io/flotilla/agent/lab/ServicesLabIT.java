package io.flotilla.agent.lab;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.flotilla.agent.lab.Lab.await;
import static io.flotilla.agent.lab.Lab.awaitRunning;
import static io.flotilla.agent.lab.Lab.in;
import static io.flotilla.agent.lab.Lab.ms;
import static io.flotilla.agent.lab.Lab.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 5 on the 3-host lab, as a user sees it through the stock docker CLI: {@code service create}
 * without {@code --detach} ends with "verify: Service converged" in both clients; a drained node's tasks
 * move to the other nodes; a rolling update replaces the tasks one at a time with the update delay
 * between them; a killed task container is replaced and its task shows exit 137; a crashed host's tasks
 * run elsewhere. Timings are printed, not asserted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServicesLabIT extends ThreeHostSwarm {

    private static final String IMAGE = "kalise/nodejs-web-app:latest";

    @Test
    @Order(1)
    void createWithoutDetachEndsConvergedInBothClients() throws Exception {
        long t0 = System.nanoTime();
        Lab.Result old = in("swarm00", "/usr/bin/docker", "service", "create", "--replicas", "2", "--name", "web", IMAGE);
        System.out.printf("services: create --replicas 2 (docker 20.10, attached) %d ms%n", ms(t0));
        assertEquals(0, old.code(), old.out());
        assertTrue(old.out().contains("verify: Service converged"), old.out());

        t0 = System.nanoTime();
        Lab.Result current = in("swarm00", "/usr/local/bin/docker", "service", "create", "--replicas", "1",
                "--name", "web28", IMAGE);
        System.out.printf("services: create --replicas 1 (docker 28, attached) %d ms%n", ms(t0));
        assertEquals(0, current.code(), current.out());
        // docker 28 names the service: "verify: Service <id> converged"
        assertTrue(current.out().matches("(?s).*verify: Service ([0-9a-z]+ )?converged.*"), current.out());

        String ls = ok("swarm00", "service", "ls");
        assertTrue(ls.matches("(?s).*\\bweb\\s+replicated\\s+2/2\\s.*"), ls);
        assertTrue(ls.matches("(?s).*\\bweb28\\s+replicated\\s+1/1\\s.*"), ls);
        ok("swarm00", "service", "rm", "web28");
    }

    @Test
    @Order(2)
    void aDrainedNodesTasksMoveToTheOthers() throws Exception {
        String before = awaitRunning("web", 2, 60);
        String drained = before.contains("swarm01") ? "swarm01" : "swarm02";
        long t0 = System.nanoTime();
        ok("swarm00", "node", "update", "--availability", "drain", drained);
        String moved = await("swarm00", out -> Lab.running(out) == 2 && !out.contains(drained),
                60, "service", "ps", "web", "--filter", "desired-state=running");
        System.out.printf("services: drain %s -> its tasks running elsewhere %d ms%n", drained, ms(t0));
        assertEquals(2, Lab.running(moved), moved);

        assertTrue(ok("swarm00", "node", "ls").matches("(?s).*" + drained + "\\s+Ready\\s+Drain.*"));
        String history = ok("swarm00", "service", "ps", "web");
        assertTrue(history.matches("(?s).*\\\\_ web\\.\\d\\s+" + IMAGE + "\\s+" + drained + "\\s+Shutdown\\s+Shutdown.*"),
                "the drained node's task is shut down, under its slot: " + history);
        String left = await(drained, String::isBlank, 30,
                "ps", "-q", "--filter", "label=com.docker.swarm.service.name=web");
        assertEquals("", left.trim(), "no task container of web still runs on " + drained);

        ok("swarm00", "node", "update", "--availability", "active", drained);
        await("swarm00", out -> out.matches("(?s).*" + drained + "\\s+Ready\\s+Active.*"), 30, "node", "ls");
    }

    @Test
    @Order(3)
    void aRollingUpdateReplacesTheTasksOneByOne() throws Exception {
        ok("swarm00", "service", "create", "--detach", "--replicas", "3", "--name", "roll", IMAGE);
        awaitRunning("roll", 3, 60);
        Set<String> old = new HashSet<>(List.of(ok("swarm00", "service", "ps", "roll", "-q").trim().split("\\s+")));
        assertEquals(3, old.size(), "three tasks: " + old);

        long t0 = System.nanoTime();
        ok("swarm00", "service", "update", "--detach", "--env-add", "STEP=2", "--update-parallelism", "1",
                "--update-delay", "2s", "roll");
        String status = await("swarm00", out -> out.trim().equals("completed"), 90,
                "service", "inspect", "roll", "--format", "{{.UpdateStatus.State}}");
        System.out.printf("services: rolling update of 3 (parallelism 1, delay 2s) completed %d ms%n", ms(t0));
        assertEquals("completed", status.trim());

        String history = ok("swarm00", "service", "ps", "roll");
        List<String> ids = List.of(ok("swarm00", "service", "ps", "roll", "-q").trim().split("\\s+"));
        List<Times> fresh = new ArrayList<>();
        for (String id : ids) {
            if (old.contains(id)) {
                continue;
            }
            String[] f = ok("swarm00", "inspect", "--type", "task", "--format",
                    "{{.Slot}} {{.CreatedAt.UnixNano}} {{.Status.Timestamp.UnixNano}} {{.Status.State}} {{.DesiredState}}",
                    id).trim().split(" ");
            fresh.add(new Times(id, Long.parseLong(f[0]), Long.parseLong(f[1]) / 1_000_000,
                    Long.parseLong(f[2]) / 1_000_000, f[3], f[4]));
        }
        // every slot has one new task, running, and the old ones are shut down
        assertEquals(3, fresh.size(), "one new task per slot:\n" + history);
        assertEquals(Set.of(1L, 2L, 3L), new HashSet<>(fresh.stream().map(Times::slot).toList()), history);
        for (Times t : fresh) {
            assertEquals("running running", t.state() + " " + t.desired(), t + "\n" + history);
        }
        assertEquals(3, history.split("Shutdown\\s+Shutdown", -1).length - 1, history);
        String env = ok("swarm00", "service", "inspect", "roll", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Env}}");
        assertTrue(env.contains("STEP=2"), env);

        // one at a time: each new task was made only after the previous one ran, and 2 s later
        fresh.sort(Comparator.comparingLong(Times::createdMs));
        for (int i = 1; i < fresh.size(); i++) {
            Times prev = fresh.get(i - 1);
            Times next = fresh.get(i);
            System.out.printf("services: update step %d made %d ms after step %d started running%n",
                    i + 1, next.createdMs() - prev.runningMs(), i);
            assertTrue(next.createdMs() >= prev.runningMs() + 2_000,
                    "slot " + next.slot() + " replaced only after slot " + prev.slot() + " ran for the 2 s delay: "
                            + fresh + "\n" + history);
        }
    }

    private record Times(String id, long slot, long createdMs, long runningMs, String state, String desired) {
    }

    @Test
    @Order(4)
    void aKilledContainerIsReplacedAndACrashedHostsTasksRunElsewhere() throws Exception {
        String before = awaitRunning("roll", 3, 60);
        String host = before.contains("swarm02") ? "swarm02" : before.contains("swarm01") ? "swarm01" : "swarm00";
        String container = ok(host, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=roll").trim()
                .split("\\s+")[0];
        long t0 = System.nanoTime();
        ok(host, "rm", "-f", container);
        String failed = await("swarm00", out -> out.contains("\"task: non-zero exit (137)\"") && Lab.running(out) == 3,
                30, "service", "ps", "roll");
        System.out.printf("services: container killed on %s -> replacement running in service ps %d ms%n", host, ms(t0));
        assertTrue(failed.matches("(?s).*Shutdown\\s+Failed [^\\n]*\"task: non-zero exit \\(137\\)\".*"), failed);

        String placed = awaitRunning("web", 2, 60) + awaitRunning("roll", 3, 60);
        String victim = placed.contains("swarm02") ? "swarm02" : "swarm01";
        t0 = System.nanoTime();
        assertEquals(0, Lab.exec(List.of(Lab.lab(), "crash", victim), 60).code());
        for (String service : List.of("web", "roll")) {
            int n = service.equals("web") ? 2 : 3;
            String moved = await("swarm00", out -> Lab.running(out) == n && !out.contains(victim),
                    60, "service", "ps", service, "--filter", "desired-state=running");
            assertEquals(n, Lab.running(moved), moved);
        }
        System.out.printf("services: %s crashed -> its tasks running elsewhere %d ms%n", victim, ms(t0));
        await("swarm00", out -> out.matches("(?s).*" + victim + "\\s+Down\\s.*"), 30, "node", "ls");
        String ls = ok("swarm00", "service", "ls");
        assertTrue(ls.matches("(?s).*\\bweb\\s+replicated\\s+2/2\\s.*") && ls.matches("(?s).*\\broll\\s+replicated\\s+3/3\\s.*"),
                ls);
    }
}
