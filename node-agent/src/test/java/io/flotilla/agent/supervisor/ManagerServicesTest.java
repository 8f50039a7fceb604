package io.flotilla.agent.supervisor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The command lines the agent starts its services with. */
class ManagerServicesTest {

    private static List<String> options(ManagerServices s, String module) {
        List<String> argv = s.command(new ManagerEnv.Module(module, 9100)).argv();
        return argv.subList(1, argv.indexOf("-jar"));
    }

    @Test
    void dnsSvcRunsWithTheFullJitTheOthersWithTheAgentsOptions() {
        ManagerServices s = new ManagerServices();
        s.home = "/opt/flotilla";
        s.javaOpts = " -Xmx96m -XX:+UseSerialGC  -XX:TieredStopAtLevel=1 -Xss512k ";

        assertEquals(List.of("-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"),
                options(s, "scheduler-svc"));
        assertEquals(List.of("-Xmx96m", "-XX:+UseSerialGC", "-Xss512k"), options(s, "dns-svc"));
        assertEquals("/opt/flotilla/dns-svc/target/quarkus-app/quarkus-run.jar",
                s.command(new ManagerEnv.Module("dns-svc", 9106)).argv().get(5));
    }
}
