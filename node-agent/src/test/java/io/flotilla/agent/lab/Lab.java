package io.flotilla.agent.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The lab as the lab ITs drive it: {@code deploy/lab} and the stock docker CLI inside a host
 * ({@code deploy/lab exec HOST -- docker ...}). The repository: FLOTILLA_LAB_REPO, else flotilla.repo.
 */
final class Lab {

    static final Path REPO = Path.of(System.getenv().getOrDefault("FLOTILLA_LAB_REPO",
            System.getProperty("flotilla.repo", ".."))).toAbsolutePath().normalize();

    record Result(int code, String out) {
    }

    private Lab() {
    }

    static String lab() {
        return REPO.resolve("deploy/lab").toString();
    }

    static Result exec(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
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

    /** A command inside a lab host. */
    static Result in(String host, String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(lab(), "exec", host, "--"));
        c.addAll(List.of(command));
        return exec(c, 120);
    }

    static Result docker(String host, String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("docker"));
        c.addAll(List.of(args));
        return in(host, c.toArray(String[]::new));
    }

    /** docker on a host, which must succeed; its output. */
    static String ok(String host, String... args) throws IOException, InterruptedException {
        Result r = docker(host, args);
        if (r.code != 0) {
            fail(host + ": docker " + String.join(" ", args) + " exited " + r.code + ":\n" + r.out);
        }
        return r.out;
    }

    /** Repeats docker on a host until its output passes {@code until}; that output. */
    static String await(String host, Predicate<String> until, int seconds, String... args) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Result r;
        do {
            r = docker(host, args);
            if (r.code == 0 && until.test(r.out)) {
                return r.out;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        fail(host + ": docker " + String.join(" ", args) + " did not get there within " + seconds + " s:\n" + r.out);
        return null;
    }

    /** A clean lab of three hosts: a swarm initialised on swarm00, swarm01 and swarm02 joined as workers. */
    static void swarmOfThree() throws Exception {
        assertEquals(0, exec(List.of("id", "-u"), 10).code());
        exec(List.of(lab(), "down"), 120);
        Result up = exec(List.of(lab(), "up", "--hosts", "3"), 300);
        assertEquals(0, up.code(), up.out());
        Result init = docker("swarm00", "swarm", "init", "--advertise-addr", "ens33");
        if (init.code() != 0 && !answers("swarm00", 30, "node", "ls")) {
            // on a loaded machine the first init can time out, and the swarm come up later, or not
            init = docker("swarm00", "swarm", "init", "--advertise-addr", "ens33");
            assertTrue(init.code() == 0 || init.out().contains("already part of a swarm"), init.out());
            assertTrue(answers("swarm00", 60, "node", "ls"), "the manager answers after swarm init");
        }
        String token = ok("swarm00", "swarm", "join-token", "-q", "worker").trim();
        ok("swarm01", "swarm", "join", "--token", token, "10.10.10.60:2377");
        ok("swarm02", "swarm", "join", "--token", token, "10.10.10.60:2377");
        await("swarm00", out -> out.split("Ready", -1).length - 1 == 3, 60, "node", "ls");
    }

    /** Whether docker on a host succeeds within the given seconds. */
    static boolean answers(String host, int seconds, String... args) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        do {
            if (docker(host, args).code() == 0) {
                return true;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return false;
    }

    /** Waits until {@code docker service ps SERVICE} (on swarm00) shows at least n tasks running; that output. */
    static String awaitRunning(String service, int n, int seconds) throws Exception {
        return await("swarm00", out -> running(out) >= n,
                seconds, "service", "ps", service, "--filter", "desired-state=running");
    }

    /** The lines of a {@code docker service ps} table whose task is running and meant to. */
    static int running(String servicePs) {
        int n = 0;
        for (String line : servicePs.split("\n")) {
            if (line.matches(".*Running\\s+Running.*")) {
                n++;
            }
        }
        return n;
    }

    static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
