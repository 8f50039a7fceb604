package io.flotilla.agent.session;

import io.flotilla.agent.exec.TaskExecutor;
import io.flotilla.agent.net.NetworkPlanSink;
import io.flotilla.agent.supervisor.ManagerServices;
import io.flotilla.agent.supervisor.RoleFollower;
import io.flotilla.agent.swarm.NodeIdentity;
import io.flotilla.agent.swarm.SwarmState;
import io.flotilla.agent.swarm.SwarmStateProducer;
import io.flotilla.contracts.v1.NodeDescription;
import io.flotilla.contracts.v1.Task;
import io.flotilla.contracts.v1.TaskStatusUpdate;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Starts the dispatcher session client with the agent and follows the swarm membership. */
@ApplicationScoped
public class SessionStarter {

    private static final Logger LOG = Logger.getLogger(SessionStarter.class);

    @Inject
    SwarmState swarm;
    @Inject
    Instance<TaskExecutor> executors;
    @Inject
    ManagerServices managers;
    @Inject
    io.flotilla.agent.supervisor.NodeDns nodeDns;
    /** Optional: without an implementation the plans are only logged. */
    @Inject
    Instance<NetworkPlanSink> planSinks;
    @ConfigProperty(name = "flotilla.session.enabled", defaultValue = "true")
    boolean enabled;
    @ConfigProperty(name = "flotilla.node")
    String hostname;
    @ConfigProperty(name = "flotilla.data")
    String dataDir;
    @ConfigProperty(name = "flotilla.advertise-addr")
    String advertiseAddr;
    @ConfigProperty(name = "flotilla.docker-socket", defaultValue = "/var/run/docker.sock")
    String dockerSocket;
    @ConfigProperty(name = "flotilla.session.backoff-min", defaultValue = "100ms")
    Duration backoffMin;
    @ConfigProperty(name = "flotilla.session.backoff-max", defaultValue = "2s")
    Duration backoffMax;
    @ConfigProperty(name = "flotilla.session.register-timeout", defaultValue = "3s")
    Duration registerTimeout;
    @ConfigProperty(name = "flotilla.session.manager-timeout", defaultValue = "0ms")
    Duration managerTimeout;
    @ConfigProperty(name = "flotilla.grpc.plaintext", defaultValue = "false")
    boolean plaintext;

    private SessionClient client;
    private RoleFollower roles;

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            LOG.info("dispatcher session disabled (flotilla.session.enabled=false)");
            return;
        }
        TaskExecutor executor = executors.isResolvable() ? executors.get() : new NoExecutor();
        var settings = new SessionClient.Settings(advertiseAddr, backoffMin.toMillis(), backoffMax.toMillis(),
                registerTimeout.toMillis(), managerTimeout.toMillis());
        // the engine version is looked up once, on the session thread's first Register
        var description = new Supplier<NodeDescription>() {
            private NodeDescription cached;

            @Override
            public synchronized NodeDescription get() {
                if (cached == null || cached.getEngineVersion().isEmpty()) {
                    cached = NodeFacts.describe(hostname, Path.of(dockerSocket));
                }
                return cached;
            }
        };
        NodeIdentity identity = new NodeIdentity(Path.of(dataDir));
        ManagerChannels channels = plaintext ? ManagerChannels.plaintext() : ManagerChannels.tls(identity);
        if (plaintext) {
            LOG.warn("dispatcher sessions in plain text (flotilla.grpc.plaintext): no TLS, no node identity");
        }
        client = new SessionClient(executor, description, settings, channels::session);
        roles = new RoleFollower(managers, swarm, advertiseAddr);
        if (planSinks.isResolvable()) {
            client.onNetworkPlan(planSinks.get()::accept);
        } else {
            LOG.info("no network plan sink in this agent: the network plans are not enacted");
        }
        client.onRole(h -> roles.offer(new RoleFollower.Hint(h.nodeId(),
                h.role() == io.flotilla.contracts.v1.NodeRole.ROLE_MANAGER, h.raftMembers())));
        // a renewed certificate (promote, demote, age) replaces the one on disk before the role hint is acted on
        client.onCertificate(pem -> {
            try {
                identity.replaceCertificate(pem);
                LOG.info("node certificate renewed by the managers");
                if (identity.managerReady() && managers.launch().isPresent()) {
                    // renewed for its age on a running manager: its services read the certificate at start
                    Thread reload = new Thread(() -> {
                        try {
                            managers.reloadIdentity();
                        } catch (java.io.IOException | RuntimeException e) {
                            LOG.warnf("manager services not restarted with the renewed certificate: %s", e.getMessage());
                        }
                    }, "identity-reload");
                    reload.setDaemon(true);
                    reload.start();
                }
                nodeDns.reloadIdentity(); // the node's dns-svc, manager or worker: it connects again with it
            } catch (java.io.IOException e) {
                LOG.warnf("renewed node certificate not kept: %s", e.getMessage());
            }
        });
        client.onRevoked(id -> roles.revoked(id, identity::wipe, SwarmStateProducer::newId));
        client.start(swarm);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (client != null) {
            client.close();
        }
        if (roles != null) {
            roles.close();
        }
    }

    public SessionClient client() {
        return client;
    }

    /** Whether the session with a manager is up (this node registered and heartbeating); true without sessions. */
    public boolean sessionUp() {
        SessionClient c = client;
        return !enabled || c != null && !c.connectedTo().isEmpty();
    }

    /** Until an executor exists: assignments are logged, nothing runs. */
    private static final class NoExecutor implements TaskExecutor {
        @Override
        public void reconcile(List<Task> assigned) {
            LOG.warnf("no task executor in this agent: %d assigned task(s) not run", assigned.size());
        }

        @Override
        public void onStatus(Consumer<TaskStatusUpdate> sink) {
        }

        @Override
        public List<TaskStatusUpdate> currentStatuses() {
            return List.of();
        }
    }
}
