package io.flotilla.agent.supervisor;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The command lines the agent starts its services with. */
class ManagerServicesTest {

    private static List<String> options(ManagerServices s, String module) {
        List<String> argv = s.command(new ManagerEnv.Module(module, 9100)).argv();
        return argv.subList(argv.indexOf(Path.of(System.getProperty("java.home"), "bin", "java").toString()) + 1,
                argv.indexOf("-jar"));
    }

    @Test
    void dnsSvcRunsWithTheFullJitAndNicerTheOthersWithTheAgentsOptions() {
        ManagerServices s = new ManagerServices();
        s.home = "/opt/flotilla";
        s.javaOpts = " -Xmx96m -XX:+UseSerialGC  -XX:TieredStopAtLevel=1 -Xss512k ";
        s.dnsNice = -5;

        assertEquals(List.of("-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"),
                options(s, "scheduler-svc"));
        assertEquals(List.of("-Xmx96m", "-XX:+UseSerialGC", "-Xss512k"), options(s, "dns-svc"));
        Supervisor.Command dnsCommand = s.command(new ManagerEnv.Module("dns-svc", 9106));
        List<String> dns = dnsCommand.argv();
        // started as the others, at -5 once its HTTP port answers
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), dns.get(0));
        assertEquals(new ReadyPriority(-5, 9106), dnsCommand.whenReady());
        assertNull(s.command(new ManagerEnv.Module("scheduler-svc", 9104)).whenReady());
        assertEquals("/opt/flotilla/dns-svc/target/quarkus-app/quarkus-run.jar", dns.get(dns.size() - 1));
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                s.command(new ManagerEnv.Module("api-gateway", 9103)).argv().get(0));
    }

    @Test
    void niceZeroStartsDnsSvcAsTheOthers() {
        ManagerServices s = new ManagerServices();
        s.home = "/opt/flotilla";
        s.javaOpts = "-Xmx96m";
        s.dnsNice = 0;
        assertNull(s.command(new ManagerEnv.Module("dns-svc", 9106)).whenReady());
    }
}
