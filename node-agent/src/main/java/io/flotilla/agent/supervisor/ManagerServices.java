package io.flotilla.agent.supervisor;

import io.flotilla.agent.Deadline;
import io.flotilla.agent.swarm.NodeIdentity;
import io.flotilla.agent.swarm.SwarmState;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * This host's manager processes (cluster-state, api-gateway, scheduler-svc, network-svc; dns-svc runs on every
 * node from the agent's start, {@link NodeDns}, with {@link #command} of this class), each
 * {@code java <flotilla.java-opts> -jar <flotilla.home>/<module>/target/quarkus-app/quarkus-run.jar}.
 * Started by swarm init (and join as a manager), stopped by leave, started again (or adopted) when the
 * agent starts on a manager.
 */
@ApplicationScoped
public class ManagerServices implements ManagerControl {
    private static final Logger LOG = Logger.getLogger(ManagerServices.class);

    @Inject
    SwarmState swarmState;
    @ConfigProperty(name = "flotilla.home")
    String home;
    @ConfigProperty(name = "flotilla.data")
    String data;
    @ConfigProperty(name = "flotilla.run")
    String run;
    @ConfigProperty(name = "flotilla.kafka")
    String kafka;
    @ConfigProperty(name = "flotilla.node")
    String node;
    @ConfigProperty(name = "flotilla.java-opts")
    String javaOpts;
    @ConfigProperty(name = "flotilla.advertise-addr")
    String advertiseAddr;
    @ConfigProperty(name = "flotilla.supervisor.stop-grace", defaultValue = "10s")
    java.time.Duration grace;
    @ConfigProperty(name = "flotilla.supervisor.identity-wait", defaultValue = "30s")
    java.time.Duration identityWait;
    @ConfigProperty(name = "flotilla.grpc.plaintext", defaultValue = "false")
    boolean plaintext;
    /** dns-svc's threads that answer queries (its DnsServer names them so): the only ones above the agent's priority. */
    static final String DNS_RECEIVERS = "dns-(udp|tcp)-.*";

    /**
     * cluster-state's threads that take in the agents' heartbeats and answer them (the gRPC server's event loops,
     * the dispatcher's liveness loop and its host probes): above the agent's priority once it is ready.
     */
    static final String STORE_HEARTBEATS = "vert\\.x-eventloo.*|flotilla-dispat.*|flotilla-host-p.*";

    /**
     * dns-svc's C2 thresholds, ten times HotSpot's (before the configured options, which may override them): C2
     * compiles only what stays hot (the answer path under queries), not the start's and the Kafka client's code.
     * On the lab, in the 45 s after a swarm init, each of the three dns-svc JVMs used 8.8-9.5 s of CPU, 2.2-2.6 s
     * of it in the C2 compiler; with these 5.4-6.1 s, 0.3-0.6 s in C2. The DNS bench's rates stayed within its noise.
     */
    static final List<String> DNS_JIT = List.of("-XX:Tier4InvocationThreshold=50000", "-XX:Tier4MinInvocationThreshold=6000",
            "-XX:Tier4CompileThreshold=150000", "-XX:Tier4BackEdgeThreshold=400000");

    // cluster-state's niceness for those threads (0: as the others): heartbeats must not wait behind the tasks' starts
    @ConfigProperty(name = "flotilla.cluster-state.nice", defaultValue = "-5")
    int storeNice;
    // dns-svc's niceness for its receivers (0: as the others): the tasks' lookups should not wait behind the tasks' own work
    @ConfigProperty(name = "flotilla.dns-svc.nice", defaultValue = "-5")
    int dnsNice;
    // the niceness the services a swarm init does not wait for (scheduler-svc, network-svc, dns-svc) start at, until
    // ready (ReadyPriority); 0: as the store and the gateway
    @ConfigProperty(name = "flotilla.supervisor.background-nice", defaultValue = "10")
    int backgroundNice;
    // start the services with the class data sharing archive their build made (ClassDataSharing), when there is one
    @ConfigProperty(name = "flotilla.supervisor.cds", defaultValue = "true")
    boolean cds;

    private Supervisor supervisor;

    synchronized Supervisor supervisor() {
        if (supervisor == null) {
            supervisor = new Supervisor(Path.of(run), Path.of(data), node, kafka, this::command, grace.toMillis(),
                    plaintext ? Supervisor.IdentityGate.NONE : this::awaitIdentity);
        }
        return supervisor;
    }

    /** Waits (bounded) until this node's manager identity is on disk (see {@link Supervisor.IdentityGate}). */
    private boolean awaitIdentity() {
        NodeIdentity identity = new NodeIdentity(Path.of(data));
        Deadline deadline = Deadline.in(identityWait);
        while (!identity.managerReady()) {
            if (deadline.passed() || !deadline.pause(100)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code java <flotilla.java-opts> -jar <flotilla.home>/<module>/target/quarkus-app/quarkus-run.jar}.
     * dns-svc keeps the full JIT: a {@code -XX:TieredStopAtLevel} in the options (C1 only, cheaper for the
     * other services) is left out for it, as it answers every task's lookups (C2 took its CPU per cached
     * answer from ~16 to ~12.5 us on the lab, dns-svc/design/dns.md), with C2's thresholds raised so that its start
     * is not compiled by C2 ({@link #DNS_JIT}), and once it is ready it runs at a
     * higher priority ({@code flotilla.dns-svc.nice}, -5 by default): its receivers wake for each query and
     * answer in ~12 us, and behind runnable task threads a query waited for a core (with 4 client threads
     * on 2 cores 38-44k -> 55-81k q/s, p99 0.17-0.29 -> 0.11-0.19 ms); its other threads (the state feed) run at
     * the agent's priority ({@link #DNS_RECEIVERS}). Not from its start: a JVM starting at
     * -5 took the cores from the host's agent and tasks ({@link ReadyPriority}). The services that neither a swarm
     * init nor the first service create waits for (network-svc, dns-svc: {@link #background}) start at
     * {@code flotilla.supervisor.background-nice} (10) and get their niceness once ready: the five JVMs' starts
     * shared two cores, and the init's answer waited for all of them. When the module's build wrote a
     * class data sharing archive, every service starts with it, in its quarkus-app directory ({@link ClassDataSharing}).
     * cluster-state's heartbeat threads ({@link #STORE_HEARTBEATS}) get {@code flotilla.cluster-state.nice} (-5) once
     * it is ready: on a swarm just initialised, while the machine started a 50-replica create's containers (load
     * 12-19 on 2 cores), heartbeats were taken in up to 9 s after they were sent, and nodes were declared down.
     */
    Supervisor.Command command(ManagerEnv.Module m) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jar = Path.of(home).toAbsolutePath().normalize()
                .resolve(m.name()).resolve("target/quarkus-app/quarkus-run.jar").toString();
        boolean dns = NodeDns.DNS.name().equals(m.name());
        List<String> argv = new ArrayList<>();
        argv.add(java);
        if (dns) {
            argv.addAll(DNS_JIT);
        }
        for (String o : javaOpts.trim().split("\\s+")) {
            if (!o.isEmpty() && !(dns && o.startsWith("-XX:TieredStopAtLevel="))) {
                argv.add(o);
            }
        }
        ClassDataSharing.of(Path.of(jar).getParent(), argv, cds).ifPresent(c -> {
            argv.addAll(0, c.prefix());
            argv.addAll(c.options());
        });
        argv.add("-jar");
        argv.add(jar);
        boolean store = m.name().equals(ManagerEnv.STORE.name());
        int ready = dns ? dnsNice : store ? storeNice : 0;
        String favoured = dns ? DNS_RECEIVERS : store ? STORE_HEARTBEATS : ".*";
        int start = background(m) ? backgroundNice : 0;
        if (start != 0) {
            argv.addAll(0, List.of("nice", "-n", Integer.toString(start)));
        }
        return new Supervisor.Command(argv, jar, ready == start ? null : new ReadyPriority(ready, m.httpPort(), favoured));
    }

    /**
     * Started at the background niceness: the services that neither a swarm init waits for (the store and the
     * gateway) nor the first service create does. scheduler-svc is not one: started at 10 beside the others, it was
     * ready 6-10 s after the init's answer, and a `service create` right after the joins had its task 4.3-5.2 s
     * after the command (lab, load 7-9).
     */
    static boolean background(ManagerEnv.Module m) {
        return !m.name().equals(ManagerEnv.STORE.name()) && !m.name().equals(ManagerEnv.GATEWAY.name())
                && !m.name().equals(ManagerEnv.SCHEDULER.name());
    }

    void onStart(@Observes @Priority(10) StartupEvent event) {
        SwarmState.Snapshot s = swarmState.current();
        if (s.manager()) {
            try {
                supervisor().resume(new Launch(s.nodeId(), advertiseAddr, false));
                LOG.infof("manager services of %s running: %s", s.nodeId(), supervisor().pids());
            } catch (IOException | RuntimeException e) {
                LOG.errorf(e, "cannot start the manager services");
            }
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (supervisor != null) {
            supervisor.detach();
        }
    }

    @Override
    public void start(Launch launch) throws IOException {
        supervisor().start(launch);
    }

    @Override
    public void stop() {
        supervisor().stop();
    }

    @Override
    public void wipeData() {
        supervisor().wipeData();
    }

    @Override
    public Optional<Launch> launch() {
        return supervisor().launch();
    }

    public Map<String, Long> pids() {
        return supervisor().pids();
    }

    /** After this node's certificate was renewed: the running services other than the store pick it up. */
    public void reloadIdentity() throws IOException {
        if (launch().isPresent()) {
            supervisor().reloadIdentity();
        }
    }
}
