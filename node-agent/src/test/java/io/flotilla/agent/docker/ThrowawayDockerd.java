package io.flotilla.agent.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A dockerd of the test's own (own data-root, exec-root, socket, pidfile under a temp dir; no bridge,
 * no iptables), with a busybox image imported from Debian's busybox-static, since nothing can be pulled.
 * Stopped by its pidfile.
 */
final class ThrowawayDockerd implements AutoCloseable {

    static final String IMAGE = "flotilla-it/busybox:1";

    final Path dir;
    final Path socket;
    private final Path pidfile;
    private final Process process;

    private ThrowawayDockerd(Path dir, Process process) {
        this.dir = dir;
        this.socket = dir.resolve("docker.sock");
        this.pidfile = dir.resolve("docker.pid");
        this.process = process;
    }

    static ThrowawayDockerd start() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "fx-dockerd");
        Files.writeString(dir.resolve("daemon.json"), "{}");
        Process p = new ProcessBuilder("dockerd",
                "--config-file", dir.resolve("daemon.json").toString(),
                "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(),
                "-H", "unix://" + dir.resolve("docker.sock"),
                "--pidfile", dir.resolve("docker.pid").toString(),
                "--bridge=none", "--iptables=false")
                .redirectErrorStream(true).redirectOutput(dir.resolve("dockerd.log").toFile()).start();
        ThrowawayDockerd d = new ThrowawayDockerd(dir, p);
        long end = System.currentTimeMillis() + 60_000;
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("dockerd exited: " + Files.readString(dir.resolve("dockerd.log")));
            }
            if (Files.exists(d.socket) && d.docker("version").exit == 0) {
                break;
            }
            if (System.currentTimeMillis() > end) {
                d.close();
                throw new IllegalStateException("dockerd did not come up in 60 s");
            }
            Thread.sleep(200);
        }
        d.importBusybox();
        return d;
    }

    private void importBusybox() throws Exception {
        Path root = dir.resolve("rootfs");
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        for (String applet : List.of("sh", "sleep", "httpd", "true", "false")) {
            Files.createSymbolicLink(root.resolve("bin/" + applet), Path.of("busybox"));
        }
        Result r = run("sh", "-c", "tar -C '" + root + "' -c . | docker -H unix://" + socket
                + " import -c 'CMD [\"/bin/sleep\",\"3600\"]' - " + IMAGE);
        if (r.exit != 0) {
            throw new IllegalStateException("docker import failed: " + r.output);
        }
    }

    /** Runs the docker CLI against this dockerd. */
    Result docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", "unix://" + socket));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
    }

    record Result(int exit, String output) {
    }

    @Override
    public void close() throws Exception {
        try {
            Result ids = docker("ps", "-aq");
            if (ids.exit == 0 && !ids.output.isBlank()) {
                List<String> cmd = new ArrayList<>(List.of("rm", "-f"));
                cmd.addAll(List.of(ids.output.split("\\s+")));
                docker(cmd.toArray(String[]::new));
            }
        } catch (Exception ignored) {
            // stopping anyway
        }
        long pid = Files.exists(pidfile) ? Long.parseLong(Files.readString(pidfile).strip()) : process.pid();
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroy(); // SIGTERM: dockerd stops its containerd too
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        });
        process.waitFor(10, TimeUnit.SECONDS);
        run("rm", "-rf", dir.toString());
    }
}
