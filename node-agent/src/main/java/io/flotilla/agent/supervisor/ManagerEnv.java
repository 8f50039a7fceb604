package io.flotilla.agent.supervisor;

import io.flotilla.agent.swarm.NodeIdentity;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that says which manager services a host runs and with which environment (the variables
 * each service reads; cluster-state's Raft settings included). Change them here.
 */
public final class ManagerEnv {

    /** A manager service: its module directory name and its HTTP (health) port. */
    public record Module(String name, int httpPort) {
    }

    /**
     * In start order: the store first. dns-svc is not one of them: it runs on every node, from the agent's start
     * ({@link NodeDns}).
     */
    public static final Module STORE = new Module("cluster-state", 9102);
    public static final Module GATEWAY = new Module("api-gateway", 9103);
    public static final Module SCHEDULER = new Module("scheduler-svc", 9104);
    public static final Module NETWORK = new Module("network-svc", 9105);
    public static final List<Module> MODULES = List.of(STORE, GATEWAY, SCHEDULER, NETWORK);

    public static final int STORE_PORT = io.flotilla.contracts.ManagerAddress.PORT;
    public static final int RAFT_PORT = 7946;

    /** Variables of the agent's own environment a child must not inherit (they name the agent's ports). */
    static final List<String> NOT_INHERITED = List.of("FLOTILLA_HTTP_PORT", "FLOTILLA_API_LISTEN",
            "FLOTILLA_GRPC_PORT", "FLOTILLA_RAFT_ID", "FLOTILLA_RAFT_MEMBERS", "FLOTILLA_BOOTSTRAP",
            "QUARKUS_HTTP_PORT");

    private ManagerEnv() {
    }

    /** The environment of one manager service on this host. */
    public static Map<String, String> of(Module module, Launch launch, String node, String dataRoot, String kafka) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FLOTILLA_NODE", node);
        env.put("FLOTILLA_HTTP_PORT", Integer.toString(module.httpPort()));
        env.put("FLOTILLA_DATA", dataRoot + "/" + module.name());
        env.put("FLOTILLA_KAFKA", kafka);
        env.put("FLOTILLA_ADVERTISE_ADDR", launch.advertiseAddr());
        env.put("FLOTILLA_STORE_HOST", "127.0.0.1");
        env.put("FLOTILLA_STORE_PORT", Integer.toString(STORE_PORT));
        env.put("FLOTILLA_NODE_ID", launch.nodeId());
        // the node's identity (cluster-state/design/tls.md): every service's store client presents it on 2377;
        // cluster-state writes it when missing (the node that founds the swarm)
        NodeIdentity identity = new NodeIdentity(Path.of(dataRoot));
        env.put("FLOTILLA_TLS_CERT", identity.certificatePath().toString());
        env.put("FLOTILLA_TLS_KEY", identity.keyPath().toString());
        env.put("FLOTILLA_TLS_CA", identity.caPath().toString());
        if (module.name().equals(STORE.name())) {
            env.put("FLOTILLA_RAFT_ID", launch.nodeId());
            env.put("FLOTILLA_RAFT_MEMBERS", launch.raftMembersEnv(RAFT_PORT));
            env.put("FLOTILLA_BOOTSTRAP", Boolean.toString(launch.bootstrap()));
        }
        return env;
    }

    /**
     * The environment of the node's dns-svc ({@link NodeDns}): as a manager service's, but started before the node
     * has an id or a store, which it reads from {@code storeFile} instead.
     */
    public static Map<String, String> nodeDns(Module dns, String node, String dataRoot, String kafka, String advertiseAddr,
                                              Path storeFile) {
        Map<String, String> env = of(dns, new Launch("", advertiseAddr, false), node, dataRoot, kafka);
        env.remove("FLOTILLA_STORE_HOST");
        env.remove("FLOTILLA_STORE_PORT");
        env.remove("FLOTILLA_NODE_ID");
        env.put("FLOTILLA_STORE_FILE", storeFile.toString());
        return env;
    }
}
