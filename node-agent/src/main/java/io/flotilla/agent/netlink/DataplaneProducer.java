package io.flotilla.agent.netlink;

import io.flotilla.agent.docker.DockerGatewayBridge;
import io.flotilla.agent.exec.TaskNetworking;
import io.flotilla.agent.net.Dataplane;
import io.flotilla.agent.net.LoadBalancer;
import io.flotilla.agent.net.NetNames;
import io.flotilla.agent.net.NetworkPlanSink;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * The node's dataplane when flotilla.dataplane.enabled (the default outside tests): it enacts the network
 * plans and plugs task containers into their overlays. Disabled, every task container gets one engine
 * network mode (flotilla.executor.network-mode) and plans are ignored.
 */
@ApplicationScoped
public class DataplaneProducer {

    private static final Logger LOG = Logger.getLogger(DataplaneProducer.class.getName());

    @ConfigProperty(name = "flotilla.dataplane.enabled", defaultValue = "true")
    boolean enabled;

    @ConfigProperty(name = "flotilla.executor.network-mode", defaultValue = "bridge")
    String defaultMode;

    @ConfigProperty(name = "flotilla.docker-socket")
    String socket;

    @ConfigProperty(name = "flotilla.dataplane.load-balancer", defaultValue = "auto")
    String driver;

    @ConfigProperty(name = "flotilla.dataplane.dns-sources-url", defaultValue = "http://127.0.0.1:9106")
    String dnsUrl;

    private Dataplane dataplane;

    synchronized Dataplane dataplane() {
        if (dataplane == null && enabled) {
            boolean ipvs = switch (driver) {
                case "ipvs" -> true;
                case "nftables" -> false;
                default -> Files.exists(Path.of("/proc/net/ip_vs"));
            };
            dataplane = new Dataplane(new ProcessShell(10_000), LoadBalancer.forKernel(ipvs),
                    new DockerGatewayBridge(socket), new DnsSourcesHttp(dnsUrl, 10), defaultMode,
                    NetNames.GWBRIDGE_GATEWAY);
            LOG.info("dataplane: load balancer " + dataplane.loadBalancer());
        }
        return dataplane;
    }

    @Produces
    @Singleton
    TaskNetworking taskNetworking() {
        Dataplane d = dataplane();
        return d != null ? d : TaskNetworking.fixed(defaultMode);
    }

    @Produces
    @Singleton
    NetworkPlanSink networkPlanSink() {
        Dataplane d = dataplane();
        return d != null ? d : plan -> { };
    }

    @Produces
    @Singleton
    io.flotilla.agent.net.NetworkFacts networkFacts() {
        Dataplane d = dataplane();
        return d != null ? d : io.flotilla.agent.net.NetworkFacts.NONE;
    }

    @PreDestroy
    synchronized void close() {
        if (dataplane != null) {
            dataplane.close();
        }
    }
}
