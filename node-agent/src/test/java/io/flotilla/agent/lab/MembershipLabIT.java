package io.flotilla.agent.lab;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Swarm membership on the lab with the stock docker CLI, as a user types it (issue 4's test list):
 * init, both tokens, a wrong token refused, two worker joins, node ls (3 Ready, 1 Leader), a worker
 * refused the manager commands, leave and rejoin, rotation (the old token refused), a live worker removed (node rm
 * refused, then --force: its task containers go) and joined again, promote to three
 * managers (1 Leader, 2 Reachable), demote (and the last manager refused), drain/pause/active, a crashed
 * host Down within the grace period and Ready again after it starts. Timings are printed.
 * The lab's repository: FLOTILLA_LAB_REPO, else flotilla.repo.
 */
class MembershipLabIT {

    private static final Path REPO = Path.of(System.getenv().getOrDefault("FLOTILLA_LAB_REPO",
            System.getProperty("flotilla.repo", ".."))).toAbsolutePath().normalize();
    private static final Pattern TOKEN = Pattern.compile("SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}");
    private static final String NOT_MANAGER = "This node is not a swarm manager. Worker nodes can't be used to view or "
            + "modify cluster state. Please run this command on a manager node or promote the current node to a manager.";

    @BeforeAll
    static void labUp() throws Exception {
        assertEquals(0, exec(List.of("id", "-u"), 10).code);
        exec(List.of(lab(), "down"), 120);
        long t0 = System.nanoTime();
        Result up = exec(List.of(lab(), "up", "--hosts", "3"), 300);
        assertEquals(0, up.code, up.out);
        System.out.printf("lab up: %d ms%n", ms(t0));
    }

    @AfterAll
    static void labDown() throws Exception {
        exec(List.of(lab(), "down"), 120);
    }

    @Test
    void theWalkthroughsSwarmSetupWithTheStockCli() throws Exception {
        long ti = System.nanoTime();
        Result init = docker("swarm00", "swarm", "init", "--advertise-addr", "ens33");
        if (init.code != 0 && init.out.contains("did not become ready")) {
            // a machine this loaded can take longer than the agent's init timeout to start a JVM: once more
            System.out.println("swarm init timed out (" + init.out.trim() + "); once more");
            init = docker("swarm00", "swarm", "init", "--advertise-addr", "ens33");
        }
        assertEquals(0, init.code, init.out);
        System.out.printf("swarm init: %d ms%n", ms(ti));
        assertTrue(init.out.contains("Swarm initialized: current node (") && init.out.contains("is now a manager."), init.out);
        assertTrue(init.out.contains("10.10.10.60:2377"), init.out);

        String worker = ok("swarm00", "swarm", "join-token", "-q", "worker").trim();
        String manager = ok("swarm00", "swarm", "join-token", "-q", "manager").trim();
        assertTrue(TOKEN.matcher(worker).matches(), worker);
        assertTrue(TOKEN.matcher(manager).matches(), manager);
        assertNotEquals(worker, manager);
        String text = ok("swarm00", "swarm", "join-token", "worker");
        assertTrue(text.contains("To add a worker to this swarm, run the following command:")
                && text.contains("docker swarm join --token " + worker + " 10.10.10.60:2377"), text);

        // a wrong token: refused, and the host stays out
        String wrong = worker.substring(0, worker.length() - 25) + "0123456789abcdefghijklmno";
        Result refused = docker("swarm01", "swarm", "join", "--token", wrong, "10.10.10.60:2377");
        assertNotEquals(0, refused.code);
        assertTrue(refused.out.contains("A valid join token is necessary to join this cluster"), refused.out);
        assertTrue(ok("swarm01", "info", "--format", "{{.Swarm.LocalNodeState}}").contains("inactive"));

        // an unreachable manager: a clear error, quickly
        long tu = System.nanoTime();
        Result unreachable = docker("swarm01", "swarm", "join", "--token", worker, "10.10.10.99:2377");
        assertNotEquals(0, unreachable.code);
        assertTrue(ms(tu) < 15_000, "unreachable manager answered after " + ms(tu) + " ms");
        System.out.printf("join to an unreachable manager: refused in %d ms: %s%n", ms(tu), unreachable.out.trim());

        for (String h : List.of("swarm01", "swarm02")) {
            long t0 = System.nanoTime();
            String joined = ok(h, "swarm", "join", "--token", worker, "10.10.10.60:2377");
            System.out.printf("%s join as a worker: %d ms%n", h, ms(t0));
            assertTrue(joined.contains("This node joined a swarm as a worker."), joined);
        }
        // as in Swarm, a join answers once the node's session is up: node ls right after it has every node Ready
        String ls = ok("swarm00", "node", "ls");
        assertTrue(count(ls, " Ready ") == 3 && count(ls, "Leader") == 1, "node ls right after the joins:\n" + ls);
        assertTrue(ls.contains("swarm00") && ls.contains("swarm01") && ls.contains("swarm02"), ls);
        assertTrue(Pattern.compile("\\*\\s+swarm00").matcher(ls).find(), "the * on the current node:\n" + ls);

        // already a member
        Result again = docker("swarm01", "swarm", "join", "--token", worker, "10.10.10.60:2377");
        assertTrue(again.out.contains("This node is already part of a swarm."), again.out);

        // a worker: refused the manager commands; its docker info still has the Swarm section
        Result onWorker = docker("swarm01", "node", "ls");
        assertNotEquals(0, onWorker.code);
        assertTrue(onWorker.out.contains(NOT_MANAGER), onWorker.out);
        String info = ok("swarm01", "info");
        assertTrue(info.contains("Swarm: active") && info.contains("Is Manager: false")
                && info.contains("10.10.10.60:2377"), info);

        // leave, rotate, the old token refused, rejoin with the new one; the old node is removed
        String oldId = ok("swarm02", "info", "--format", "{{.Swarm.NodeID}}").trim();
        assertTrue(ok("swarm02", "swarm", "leave").contains("Node left the swarm."));
        String rotated = ok("swarm00", "swarm", "join-token", "--rotate", "-q", "worker").trim();
        assertNotEquals(worker, rotated);
        Result old = docker("swarm02", "swarm", "join", "--token", worker, "10.10.10.60:2377");
        assertNotEquals(0, old.code);
        assertTrue(old.out.contains("A valid join token is necessary to join this cluster"), old.out);
        awaitNodeLs("swarm00", out -> lineOf(out, oldId).contains(" Down "), 15);
        ok("swarm00", "node", "rm", oldId);
        assertTrue(ok("swarm02", "swarm", "join", "--token", rotated, "10.10.10.60:2377")
                .contains("This node joined a swarm as a worker."));
        awaitNodeLs("swarm00", out -> count(out, " Ready ") == 3 && !out.contains(oldId), 30);

        // a live worker removed by the managers: refused without --force (Swarm's message); with it the node is out
        // of the swarm, and its task containers stop and go as at a leave; it joins again after
        ok("swarm00", "service", "create", "--detach", "--mode", "global", "--name", "everywhere",
                "kalise/nodejs-web-app:latest");
        List<String> itsContainers = List.of("ps", "-aq", "--filter", "label=com.docker.swarm.service.name=everywhere");
        awaitOut("swarm02", itsContainers, out -> !out.isBlank(), 60);
        Result live = docker("swarm00", "node", "rm", "swarm02");
        assertNotEquals(0, live.code);
        assertTrue(live.out.contains("is not down and can't be removed"), live.out);
        long tr = System.nanoTime();
        ok("swarm00", "node", "rm", "--force", "swarm02");
        awaitOut("swarm02", itsContainers, String::isBlank, 30);
        awaitOut("swarm02", List.of("info", "--format", "{{.Swarm.LocalNodeState}}"), out -> out.trim().equals("inactive"), 10);
        System.out.printf("node rm --force of a live worker -> its task container gone: %d ms%n", ms(tr));
        awaitNodeLs("swarm00", out -> !out.contains("swarm02") && count(out, " Ready ") == 2, 10);
        ok("swarm00", "service", "rm", "everywhere");
        assertTrue(ok("swarm02", "swarm", "join", "--token", rotated, "10.10.10.60:2377")
                .contains("This node joined a swarm as a worker."));
        awaitNodeLs("swarm00", out -> count(out, " Ready ") == 3, 30);

        // promote to three managers: 1 Leader, 2 Reachable
        long tp = System.nanoTime();
        String promoted = ok("swarm00", "node", "promote", "swarm01", "swarm02");
        assertTrue(promoted.contains("Node swarm01 promoted to a manager in the swarm."), promoted);
        ls = awaitNodeLs("swarm00", out -> count(out, "Leader") == 1 && count(out, "Reachable") == 2, 240);
        System.out.printf("promote to 3 managers: %d ms%n%s%n", ms(tp), ls);
        // a promoted node serves the manager commands itself
        assertTrue(awaitOk("swarm01", List.of("node", "ls"), 60).contains("swarm00"));

        // demote the leader itself: another manager leads, the demoted node is a worker; then promote it back
        long td = System.nanoTime();
        ok("swarm00", "node", "demote", "swarm00");
        ls = awaitNodeLs("swarm01", out -> count(out, "Leader") == 1 && count(out, "Reachable") == 1
                && !lineOf(out, "swarm00").contains("Leader") && !lineOf(out, "swarm00").contains("Reachable"), 60);
        System.out.printf("demote the leader -> another manager leads, swarm00 a worker: %d ms%n%s%n", ms(td), ls);
        awaitOk("swarm01", List.of("node", "promote", "swarm00"), 30); // the first write after the leader left can meet the election
        awaitNodeLs("swarm01", out -> count(out, "Leader") == 1 && count(out, "Reachable") == 2, 240);
        assertTrue(awaitOk("swarm00", List.of("node", "ls"), 60).contains("swarm01"));

        // the leader's host crashes: another manager leads, and no other node is ever shown Down (their sessions
        // move to a remaining manager); started again, the host is a Reachable manager once more
        String lsNow = ok("swarm00", "node", "ls");
        String leaderHost = List.of("swarm01", "swarm02").stream().filter(h -> lineOf(lsNow, h).contains("Leader"))
                .findFirst().orElse("swarm02");
        long tk = System.nanoTime();
        assertEquals(0, exec(List.of(lab(), "crash", leaderHost), 60).code);
        String after = null;
        Result r = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            r = docker("swarm00", "node", "ls");
            if (r.code == 0) {
                for (String h : List.of("swarm00", "swarm01", "swarm02")) {
                    assertTrue(h.equals(leaderHost) || !lineOf(r.out, h).contains(" Down "),
                            h + " shown Down after the leader's host crashed:\n" + r.out);
                }
                if (count(r.out, "Leader") == 1 && !lineOf(r.out, leaderHost).contains("Leader")
                        && lineOf(r.out, leaderHost).contains("Unreachable")) {
                    after = r.out;
                    break;
                }
            }
            Thread.sleep(250);
        }
        if (after == null) {
            fail("no new leader within 60 s after " + leaderHost + " (the leader) crashed; swarm00's last node ls:\n"
                    + (r == null ? "" : r.out) + raftLines(List.of("swarm00", "swarm01", "swarm02"), leaderHost));
        }
        System.out.printf("crash the leader (%s) -> another leads: %d ms%n%s%n", leaderHost, ms(tk), after);
        assertEquals(0, exec(List.of(lab(), "start", leaderHost), 180).code);
        awaitNodeLs("swarm00", out -> count(out, " Ready ") == 3 && count(out, "Leader") == 1 && count(out, "Reachable") == 2, 240);

        // demote two of them back; the last manager cannot be demoted
        ok("swarm00", "node", "demote", "swarm02");
        ok("swarm00", "node", "demote", "swarm01");
        ls = awaitNodeLs("swarm00", out -> count(out, "Leader") == 1 && count(out, "Reachable") == 0, 60);
        Result last = docker("swarm00", "node", "demote", "swarm00");
        assertNotEquals(0, last.code);
        assertTrue(last.out.contains("attempting to demote the last manager of the swarm"), last.out);

        // availability, as node ls shows it
        for (String a : List.of("drain", "pause", "active")) {
            ok("swarm00", "node", "update", "--availability", a, "swarm00");
            String want = Character.toUpperCase(a.charAt(0)) + a.substring(1);
            ls = ok("swarm00", "node", "ls");
            assertTrue(lineOf(ls, "swarm00").contains(want), a + ":\n" + ls);
        }

        // a crashed host is Down within the grace period, Ready again once started
        awaitNodeLs("swarm00", out -> count(out, " Ready ") == 3, 30);
        // swarm01 was demoted just now: its agent's session may still be with its own manager services, stopped
        // once the Raft group dropped it. Crashed before the session moves, it is watched by the leader, which takes
        // over the nodes whose session manager is no longer a reachable Raft member
        long tc = System.nanoTime();
        assertEquals(0, exec(List.of(lab(), "crash", "swarm01"), 60).code);
        long crashed = ms(tc);
        awaitNodeLs("swarm00", out -> lineOf(out, "swarm01").contains(" Down "), 10);
        long down = ms(tc);
        System.out.printf("crash swarm01 -> Down: %d ms after the crash command (which took %d ms)%n", down, crashed);
        assertTrue(down < 5_000, "Down after " + down + " ms");
        long ts = System.nanoTime();
        assertEquals(0, exec(List.of(lab(), "start", "swarm01"), 180).code);
        awaitNodeLs("swarm00", out -> lineOf(out, "swarm01").contains(" Ready "), 60);
        System.out.printf("start swarm01 -> Ready: %d ms%n", ms(ts));
        // it kept its identity (no token)
        assertEquals(1, count(ok("swarm00", "node", "ls"), "swarm01"));
    }

    // ---------------------------------------------------------------- helpers

    /**
     * What the surviving managers' cluster-state logged of views, leaders and votes (the last lines of each), for a
     * failed election; their whole logs are kept under target/lab-logs (the lab wipes them at its stop).
     */
    private static String raftLines(List<String> hosts, String crashed) {
        StringBuilder b = new StringBuilder();
        Path keep = Path.of("target", "lab-logs", "MembershipLabIT");
        for (String h : hosts) {
            Path log = Path.of("/run/flotilla/lab", h, "logs", "cluster-state.log");
            if (h.equals(crashed) || !Files.exists(log)) {
                continue;
            }
            b.append("\n").append(h).append(" cluster-state:\n");
            try {
                Files.createDirectories(keep.resolve(h));
                for (String name : List.of("cluster-state.log", "api-gateway.log")) {
                    Path f = log.resolveSibling(name);
                    if (Files.exists(f)) {
                        Files.copy(f, keep.resolve(h).resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                List<String> lines = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines()
                        .filter(l -> l.contains(": view ") || l.contains(": leader ") || l.contains("no leader for")
                                || l.contains("raft: "))
                        .toList();
                lines.subList(Math.max(0, lines.size() - 8), lines.size())
                        .forEach(l -> b.append("  ").append(l, 0, Math.min(l.length(), 400)).append('\n'));
            } catch (IOException e) {
                b.append("  (its log could not be read: ").append(e.getMessage()).append(")\n");
            }
        }
        return b.toString();
    }

    private record Result(int code, String out) {}

    private static Result docker(String host, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(lab(), "exec", host, "--", "docker"));
        cmd.addAll(List.of(args));
        return exec(cmd, 60);
    }

    private static String ok(String host, String... args) throws Exception {
        Result r = docker(host, args);
        if (r.code != 0) {
            fail(host + ": docker " + String.join(" ", args) + " exited " + r.code + ":\n" + r.out);
        }
        return r.out;
    }

    private static String awaitOk(String host, List<String> args, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Result r;
        do {
            r = docker(host, args.toArray(String[]::new));
            if (r.code == 0) {
                return r.out;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        fail(host + ": docker " + args + " still failing after " + seconds + " s:\n" + r.out);
        return null;
    }

    private static String awaitNodeLs(String host, Predicate<String> until, int seconds) throws Exception {
        return awaitOut(host, List.of("node", "ls"), until, seconds);
    }

    /** Runs the command every 200 ms until it succeeds with an output that passes. */
    private static String awaitOut(String host, List<String> args, Predicate<String> until, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        do {
            Result r = docker(host, args.toArray(String[]::new));
            last = r.out;
            if (r.code == 0 && until.test(r.out)) {
                return r.out;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        fail(host + ": docker " + String.join(" ", args) + " did not get there within " + seconds + " s:\n" + last);
        return null;
    }

    private static int count(String s, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static String lineOf(String table, String what) {
        for (String l : table.split("\n")) {
            if (l.contains(what)) {
                return l + " ";
            }
        }
        return "";
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static String lab() {
        return REPO.resolve("deploy/lab").toString();
    }

    private static Result exec(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("lab", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s:\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
