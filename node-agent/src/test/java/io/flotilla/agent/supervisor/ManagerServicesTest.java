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

    private static ManagerServices services(String javaOpts, int dnsNice, int backgroundNice) {
        ManagerServices s = new ManagerServices();
        s.home = "/opt/flotilla";
        s.javaOpts = javaOpts;
        s.dnsNice = dnsNice;
        s.storeNice = -5;
        s.backgroundNice = backgroundNice;
        return s;
    }

    @Test
    void dnsSvcRunsWithTheFullJitAndNicerTheOthersWithTheAgentsOptions() {
        ManagerServices s = services(" -Xmx96m -XX:+UseSerialGC  -XX:TieredStopAtLevel=1 -Xss512k ", -5, 0);

        assertEquals(List.of("-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"),
                options(s, "scheduler-svc"));
        List<String> dnsOptions = new java.util.ArrayList<>(ManagerServices.DNS_JIT); // C2 for what stays hot only
        dnsOptions.addAll(List.of("-Xmx96m", "-XX:+UseSerialGC", "-Xss512k"));
        assertEquals(dnsOptions, options(s, "dns-svc"));
        Supervisor.Command dnsCommand = s.command(new ManagerEnv.Module("dns-svc", 9106));
        List<String> dns = dnsCommand.argv();
        // started as the others, at -5 once its HTTP port answers
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), dns.get(0));
        assertEquals(new ReadyPriority(-5, 9106, ManagerServices.DNS_RECEIVERS), dnsCommand.whenReady());
        assertNull(s.command(new ManagerEnv.Module("scheduler-svc", 9104)).whenReady());
        assertEquals("/opt/flotilla/dns-svc/target/quarkus-app/quarkus-run.jar", dns.get(dns.size() - 1));
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                s.command(new ManagerEnv.Module("api-gateway", 9103)).argv().get(0));
    }

    @Test
    void theServicesASwarmInitDoesNotWaitForStartInTheBackground() {
        ManagerServices s = services("-Xmx96m", -5, 10);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String m : List.of("cluster-state", "api-gateway")) {
            Supervisor.Command c = s.command(new ManagerEnv.Module(m, 9102));
            assertEquals(java, c.argv().get(0), m + " starts at the agent's priority");
        }
        assertNull(s.command(new ManagerEnv.Module("api-gateway", 9103)).whenReady());
        // the store's heartbeat threads above the agent's once it is ready
        assertEquals(new ReadyPriority(-5, 9102, ManagerServices.STORE_HEARTBEATS),
                s.command(new ManagerEnv.Module("cluster-state", 9102)).whenReady());
        s.storeNice = 0;
        assertNull(s.command(new ManagerEnv.Module("cluster-state", 9102)).whenReady());
        Supervisor.Command network = s.command(new ManagerEnv.Module("network-svc", 9105));
        assertEquals(List.of("nice", "-n", "10", java), network.argv().subList(0, 4));
        assertEquals(new ReadyPriority(0, 9105), network.whenReady(), "back to the agent's once ready");
        // the first service create needs the scheduler: it starts at the agent's priority
        assertEquals(java, s.command(new ManagerEnv.Module("scheduler-svc", 9104)).argv().get(0));
        assertNull(s.command(new ManagerEnv.Module("scheduler-svc", 9104)).whenReady());
        Supervisor.Command dns = s.command(new ManagerEnv.Module("dns-svc", 9106));
        assertEquals(List.of("nice", "-n", "10", java), dns.argv().subList(0, 4));
        assertEquals(new ReadyPriority(-5, 9106, ManagerServices.DNS_RECEIVERS), dns.whenReady());

        s.backgroundNice = 0;
        assertEquals(java, s.command(new ManagerEnv.Module("network-svc", 9105)).argv().get(0));
        assertNull(s.command(new ManagerEnv.Module("network-svc", 9105)).whenReady());
    }

    @Test
    void niceZeroStartsDnsSvcAsTheOthers() {
        ManagerServices s = services("-Xmx96m", 0, 0);
        assertNull(s.command(new ManagerEnv.Module("dns-svc", 9106)).whenReady());
    }
}
