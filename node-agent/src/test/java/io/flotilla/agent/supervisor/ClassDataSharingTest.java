package io.flotilla.agent.supervisor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The class data sharing options of the services' command lines, and the JVM's handling of an unusable archive. */
class ClassDataSharingTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @TempDir
    Path home;

    private ManagerServices services(String javaOpts, boolean cds) {
        ManagerServices s = new ManagerServices();
        s.home = home.toString();
        s.javaOpts = javaOpts;
        s.cds = cds;
        return s;
    }

    private Path app(String module) throws IOException {
        return Files.createDirectories(home.resolve(module).resolve("target/quarkus-app"));
    }

    @Test
    void aServiceWhoseBuildMadeAnArchiveStartsWithItInItsApplicationDirectory() throws IOException {
        Path app = app("scheduler-svc");
        Files.write(app.resolve("app-cds.jsa"), new byte[]{1});

        List<String> argv = services("-Xmx96m -XX:TieredStopAtLevel=1", true)
                .command(new ManagerEnv.Module("scheduler-svc", 9104)).argv();

        assertEquals(List.of("env", "-C", app.toString(), JAVA, "-Xmx96m", "-XX:TieredStopAtLevel=1",
                "-Xshare:auto", "-XX:SharedArchiveFile=" + app.resolve("app-cds.jsa"),
                "-jar", app.resolve("quarkus-run.jar").toString()), argv);
    }

    @Test
    void withoutAnArchiveOrWithSharingOffTheCommandIsPlainJava() throws IOException {
        app("api-gateway");
        Files.write(app("network-svc").resolve("app-cds.jsa"), new byte[]{1});

        List<String> none = services("-Xmx96m", true).command(new ManagerEnv.Module("api-gateway", 9103)).argv();
        List<String> off = services("-Xmx96m", false).command(new ManagerEnv.Module("network-svc", 9105)).argv();

        assertEquals(List.of(JAVA, "-Xmx96m", "-jar",
                home.resolve("api-gateway/target/quarkus-app/quarkus-run.jar").toString()), none);
        assertEquals(List.of(JAVA, "-Xmx96m", "-jar",
                home.resolve("network-svc/target/quarkus-app/quarkus-run.jar").toString()), off);
    }

    @Test
    void sharingOptionsOfTheAgentsJavaOptionsWin() throws IOException {
        Files.write(app("dns-svc").resolve("app-cds.jsa"), new byte[]{1});
        Files.write(app("cluster-state").resolve("app-cds.jsa"), new byte[]{1});

        List<String> dns = services("-Xmx96m -Xshare:off", true).command(new ManagerEnv.Module("dns-svc", 9106)).argv();
        List<String> store = services("-XX:SharedArchiveFile=/elsewhere.jsa", true)
                .command(new ManagerEnv.Module("cluster-state", 9102)).argv();

        assertTrue(dns.contains("-Xshare:off"), dns.toString());
        assertFalse(dns.contains("-Xshare:auto") || dns.contains("env"), dns.toString());
        assertEquals(1, store.stream().filter(o -> o.startsWith("-XX:SharedArchiveFile=")).count(), store.toString());
        assertEquals(JAVA, store.get(0));
    }

    /**
     * What the design relies on: an archive the JVM cannot use (here one whose header was never written, as a
     * build cut off while dumping leaves it) is ignored under -Xshare:auto, and the program runs.
     */
    @Test
    void theJvmRunsWithAnArchiveItCannotUse() throws Exception {
        Path archive = home.resolve("app-cds.jsa");
        Files.write(archive, new byte[64 * 1024]);
        List<String> argv = new ArrayList<>(List.of(JAVA));
        argv.addAll(ClassDataSharing.of(home, List.of(JAVA), true).orElseThrow().options());
        argv.add("-version");

        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));

        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("version \"" + System.getProperty("java.specification.version")), out);
    }
}
