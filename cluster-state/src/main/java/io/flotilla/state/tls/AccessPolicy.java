package io.flotilla.state.tls;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.ListRequest;
import io.flotilla.contracts.v1.WatchRequest;

import java.util.Set;
import java.util.function.Predicate;

/**
 * Who may call what on 2377 (a node acts only as itself):
 * <ul>
 * <li>{@code Dispatcher/Join}: anyone; the join token authenticates it.</li>
 * <li>everything else needs a node certificate of this cluster, of a node not removed from the swarm.</li>
 * <li>{@code Dispatcher/Session}: any node; its Register must name the node of the certificate (the
 * dispatcher checks that, the node id being in the message).</li>
 * <li>{@code Dispatcher/PublishPlans}: only this manager's own node (its network-svc).</li>
 * <li>{@code Store/*} and anything else: managers. A worker may List and Watch networks, services and
 * tasks only: what its dns-svc reads.</li>
 * </ul>
 */
public final class AccessPolicy {
    static final String JOIN = "flotilla.v1.Dispatcher/Join";
    static final String SESSION = "flotilla.v1.Dispatcher/Session";
    static final String PUBLISH_PLANS = "flotilla.v1.Dispatcher/PublishPlans";
    static final String STORE_LIST = "flotilla.v1.Store/List";
    static final String STORE_WATCH = "flotilla.v1.Store/Watch";
    /** What a worker's dns-svc reads. */
    static final Set<Kind> WORKER_READABLE = Set.of(Kind.KIND_NETWORK, Kind.KIND_SERVICE, Kind.KIND_TASK);

    /** The answer to a call, or to one message of it. */
    public enum Verdict { ALLOW, UNAUTHENTICATED, DENIED, CHECK_EACH_MESSAGE }

    /** A verdict and, unless ALLOW, why. */
    public record Decision(Verdict verdict, String reason) {
        static final Decision ALLOW = new Decision(Verdict.ALLOW, "");
        static final Decision CHECK = new Decision(Verdict.CHECK_EACH_MESSAGE, "");

        static Decision denied(String reason) {
            return new Decision(Verdict.DENIED, reason);
        }

        public boolean allowed() {
            return verdict == Verdict.ALLOW;
        }
    }

    private final String selfNodeId;
    private final Predicate<String> revoked;

    /**
     * @param selfNodeId this manager's own node id
     * @param revoked    whether a node id was removed from the swarm
     */
    public AccessPolicy(String selfNodeId, Predicate<String> revoked) {
        this.selfNodeId = selfNodeId;
        this.revoked = revoked;
    }

    /** The decision for a call to fullMethod by caller (null: no client certificate). */
    public Decision call(String fullMethod, Caller caller) {
        if (JOIN.equals(fullMethod)) {
            return Decision.ALLOW;
        }
        if (caller == null) {
            return new Decision(Verdict.UNAUTHENTICATED, "a node certificate of this swarm is required for " + fullMethod);
        }
        if (revoked.test(caller.nodeId())) {
            return Decision.denied("node " + caller.nodeId() + " was removed from the swarm");
        }
        if (SESSION.equals(fullMethod)) {
            return Decision.ALLOW;
        }
        if (PUBLISH_PLANS.equals(fullMethod)) {
            return caller.manager() && caller.nodeId().equals(selfNodeId) ? Decision.ALLOW
                    : Decision.denied("network plans are accepted only from this manager's own node, not from node "
                    + caller.nodeId());
        }
        if (caller.manager()) {
            return Decision.ALLOW;
        }
        if (STORE_LIST.equals(fullMethod) || STORE_WATCH.equals(fullMethod)) {
            return Decision.CHECK;
        }
        return Decision.denied(workerRefused(caller, fullMethod));
    }

    /** For a call that came back CHECK_EACH_MESSAGE: the decision for one of its request messages. */
    public Decision message(String fullMethod, Caller caller, Object request) {
        boolean readable;
        if (request instanceof ListRequest l) {
            readable = WORKER_READABLE.contains(l.getKind());
        } else if (request instanceof WatchRequest w) {
            readable = !w.getKindsList().isEmpty() && WORKER_READABLE.containsAll(w.getKindsList());
        } else {
            readable = false;
        }
        return readable ? Decision.ALLOW : Decision.denied(workerRefused(caller, fullMethod)
                + " (a worker reads networks, services and tasks only)");
    }

    private static String workerRefused(Caller caller, String fullMethod) {
        return "node " + caller.nodeId() + " is a worker: " + fullMethod + " is for managers";
    }
}
