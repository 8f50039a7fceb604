package io.flotilla.state.dispatcher;

import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * How the dispatcher tells a dead node from a slow one before declaring it down. A node silent for the grace
 * period is a suspect; the manager then asks the node's host itself, at the kernel's level (an ICMP echo),
 * which a loaded host answers at once. On a loaded host the heartbeats of a live agent can wait longer than the
 * grace period in this manager's own queues (lab, a 50-replica create at load 15-20: a heartbeat sent on time
 * was taken in 2.2 s after it was sent, and the node was declared down, its tasks replaced, then shut down when
 * it came back); a crashed host answers nothing. A node whose host answers stays up until it has been silent for
 * {@code answersLimitMs} (an agent that hangs on a live host); a closed session is not probed.
 *
 * @param probe          asks a host
 * @param answersLimitMs how long a silent node whose host answers stays up
 * @param recheckMs      how often such a node's host is asked again
 */
public record HostCheck(Probe probe, long answersLimitMs, long recheckMs) {

    /** Whether a host answers; completes false rather than failing. */
    public interface Probe {
        CompletionStage<Boolean> answers(String addr);
    }

    /** A probe that has not answered in this time counts as no answer (its own timeout is far shorter). */
    public static final long PROBE_BOUND_MS = 2000;

    /** No probing: a silent node is declared down after the grace period. */
    public static final HostCheck NONE = new HostCheck(addr -> CompletableFuture.completedFuture(false), 0, 0);

    /**
     * {@link InetAddress#isReachable}: an ICMP echo when the process may open a raw socket (the manager services
     * run as root), else a TCP connection to port 7, where a refusal counts as an answer. On its own threads.
     */
    public static Probe echo(int timeoutMs) {
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "flotilla-host-probe");
            t.setDaemon(true);
            return t;
        });
        return addr -> CompletableFuture.supplyAsync(() -> {
            if (!literal(addr)) {
                return false; // node addresses are IP addresses: never a name lookup from here
            }
            try {
                return InetAddress.getByName(addr).isReachable(timeoutMs);
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }, threads);
    }

    /** An IPv4 or IPv6 address literal (which InetAddress takes without a lookup). */
    static boolean literal(String addr) {
        return addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || (addr.contains(":") && addr.matches("[0-9a-fA-F:.]+"));
    }
}
