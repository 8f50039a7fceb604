package io.flotilla.agent.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

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

    static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
