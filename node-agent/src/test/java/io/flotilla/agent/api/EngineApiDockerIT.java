package io.flotilla.agent.api;

import io.flotilla.agent.supervisor.Launch;
import io.flotilla.agent.supervisor.ManagerControl;
import io.flotilla.agent.swarm.SwarmState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The endpoint in front of a real, throwaway dockerd (own data-root, exec-root, socket and pidfile under a
 * temp dir; no bridge, no iptables), driven by both stock docker CLIs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EngineApiDockerIT {

    private static final String IMAGE = "flotilla-api-it:1";
    private Path dir;
    private Path sock;
    private Path pidfile;
    private EngineApi api;
    private String dockerHost;

    record Run(int rc, String out, String err) {
    }

    @BeforeAll
    void startDockerdAndEndpoint() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "fl-api-it");
        sock = dir.resolve("docker.sock");
        pidfile = dir.resolve("docker.pid");
        new ProcessBuilder("dockerd", "--data-root", dir.resolve("root").toString(), "--exec-root",
                dir.resolve("exec").toString(), "-H", "unix://" + sock, "--pidfile", pidfile.toString(),
                "--bridge=none", "--iptables=false", "--ip6tables=false")
                .redirectErrorStream(true).redirectOutput(dir.resolve("dockerd.log").toFile()).start();
        Backend d = Backend.unix("dockerd", sock.toString());
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                if (MiniHttp.get(d, "/_ping", 2000).status() == 200) {
                    break;
                }
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("dockerd did not start: " + Files.readString(dir.resolve(
                            "dockerd.log")));
                }
            }
            Thread.sleep(200);
        }
        // an image from busybox-static: /bin/busybox and a few applet links
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
        for (String applet : List.of("sh", "echo", "sleep", "cat")) {
            Files.createSymbolicLink(rootfs.resolve(applet), Path.of("busybox"));
        }
        Run tar = run(List.of("tar", "-C", dir.resolve("rootfs").toString(), "-cf", dir.resolve("img.tar").toString(),
                "."), null, 60, null);
        assertEquals(0, tar.rc(), tar.err());
        Run imp = run(List.of("/usr/bin/docker", "-H", "unix://" + sock, "import", dir.resolve("img.tar").toString(),
                IMAGE), null, 60, null);
        assertEquals(0, imp.rc(), imp.err());

        ManagerControl none = new ManagerControl() {
            @Override
            public void start(Launch launch) throws IOException {
                throw new IOException("no manager services in this test");
            }

            @Override
            public void stop() {
            }

            @Override
            public void wipeData() {
            }

            @Override
            public Optional<Launch> launch() {
                return Optional.empty();
            }
        };
        SwarmState swarm = new SwarmState(dir.resolve("agent"), "itnode0000000000000000001");
        api = new EngineApi(new EngineApi.Settings("tcp://127.0.0.1:0", sock.toString(), "http://127.0.0.1:1",
                "itnode", "127.0.0.1", "http://127.0.0.1:1/q/health/ready", Duration.ofSeconds(1)), swarm, none);
        api.start();
        dockerHost = "tcp://127.0.0.1:" + api.port();
    }

    @AfterAll
    void stopEverything() throws Exception {
        if (api != null) {
            api.close();
        }
        if (dir == null) {
            return;
        }
        run(List.of("/bin/sh", "-c", "ids=$(/usr/bin/docker -H unix://" + sock + " ps -aq); [ -z \"$ids\" ] || "
                + "/usr/bin/docker -H unix://" + sock + " rm -f $ids"), null, 60, null);
        if (Files.exists(pidfile)) {
            long pid = Long.parseLong(Files.readString(pidfile).trim());
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isPresent()) {
                h.get().destroy();
                try {
                    h.get().onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.get().destroyForcibly();
                }
            }
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover under /tmp harms nobody
        }
    }

    private Run docker(String cli, String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(cli));
        cmd.addAll(List.of(args));
        return run(cmd, stdin, 60, dockerHost);
    }

    private static Run run(List<String> cmd, String stdin, int timeoutSeconds, String dockerHost) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (dockerHost != null) {
            pb.environment().put("DOCKER_HOST", dockerHost);
        }
        pb.environment().remove("DOCKER_CONTEXT");
        Path out = Files.createTempFile("it-out", ".txt");
        Path err = Files.createTempFile("it-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/docker", "/usr/local/bin/docker"})
    void versionAndInfo(String cli) throws Exception {
        Run v = docker(cli, null, "version", "--format", "{{.Server.APIVersion}} {{.Server.MinAPIVersion}}");
        assertEquals(0, v.rc(), v.err());
        assertEquals("1.41 1.12", v.out().trim());
        Run i = docker(cli, null, "info", "--format", "{{.Name}} {{.Swarm.LocalNodeState}} {{.DockerRootDir}}");
        assertEquals(0, i.rc(), i.err());
        assertEquals("itnode inactive " + dir.resolve("root"), i.out().trim());
        Run full = docker(cli, null, "info");
        assertEquals(0, full.rc(), full.err());
        assertTrue(full.out().contains("Swarm: inactive"), full.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/docker", "/usr/local/bin/docker"})
    void containersExecAndLogsThroughTheEndpoint(String cli) throws Exception {
        Run r = docker(cli, null, "run", "-d", "--network", "none", IMAGE, "sh", "-c", "echo started; sleep 100");
        assertEquals(0, r.rc(), r.err());
        String id = r.out().trim();
        try {
            Run ps = docker(cli, null, "ps", "--no-trunc", "--format", "{{.ID}} {{.Image}}");
            assertTrue(ps.out().contains(id + " " + IMAGE), ps.out());

            Run exec = docker(cli, null, "exec", id, "echo", "hi");
            assertEquals(0, exec.rc(), exec.err());
            assertEquals("hi\n", exec.out());

            Run code = docker(cli, null, "exec", id, "sh", "-c", "echo out; echo err >&2; exit 3");
            assertEquals(3, code.rc());
            assertEquals("out\n", code.out());
            assertEquals("err\n", code.err());

            Run interactive = docker(cli, "echo hello\necho $((6*7))\n", "exec", "-i", id, "sh");
            assertEquals(0, interactive.rc(), interactive.err());
            assertEquals("hello\n42\n", interactive.out());

            Run cat = docker(cli, "x".repeat(200_000), "exec", "-i", id, "sh", "-c", "cat | wc -c");
            assertEquals("200000", cat.out().trim(), "large stdin through the hijacked connection: " + cat.err());

            Run tty = run(List.of("/bin/sh", "-c", "(printf 'echo in-$((40+2))-tty\\nexit 5\\n'; sleep 3) | "
                    + "script -qfec '" + cli + " exec -it " + id + " sh' /dev/null"), null, 30, dockerHost);
            assertTrue(tty.out().contains("in-42-tty"), "a terminal session through the endpoint: " + tty.out());
            assertEquals(5, tty.rc(), tty.out() + tty.err());

            Run logs = docker(cli, null, "logs", id);
            assertEquals(0, logs.rc(), logs.err());
            assertEquals("started\n", logs.out());
        } finally {
            Run rm = docker(cli, null, "rm", "-f", id);
            assertEquals(0, rm.rc(), rm.err());
        }
        Run gone = docker(cli, null, "inspect", id);
        assertNotEquals(0, gone.rc());
        assertTrue(gone.err().contains("No such object") || gone.err().contains("No such container"), gone.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/docker", "/usr/local/bin/docker"})
    void clusterCommandsOnANonMemberSayNotASwarmManager(String cli) throws Exception {
        Run r = docker(cli, null, "node", "ls");
        assertNotEquals(0, r.rc());
        assertTrue(r.err().contains("This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm "
                + "join\" to connect this node to swarm and try again."), r.err());
        Run leave = docker(cli, null, "swarm", "leave");
        assertNotEquals(0, leave.rc());
        assertTrue(leave.err().contains("This node is not part of a swarm"), leave.err());
    }
}
