package io.flotilla.agent.supervisor;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A service's scheduling priority once it is ready: {@code nice} on every thread when its HTTP port on
 * loopback accepts connections (Quarkus opens it when the start is over). The start itself runs at the
 * agent's niceness or, for a service the agent starts in the background, at a higher one (lower priority):
 * started under {@code nice -n -5}, dns-svc's JVM start (class loading, the JIT's compiles) took the cores from
 * everything else on the host (on a worker that had just joined, the first task's container waited ~9 s for
 * it to finish starting); and a swarm init, which waits for the store and the gateway only, shared the cores
 * with the start of three more JVMs.
 *
 * <p>Linux keeps the niceness per thread, and a thread takes its creator's: every thread the process has
 * then is set, twice (threads born during the first pass), and the threads it creates later inherit it.
 * The JIT's compiler threads get no higher priority than the agent's (niceness 0 at most): they compile most
 * right after the start, and the code they compile runs interpreted or at C1 meanwhile. A higher priority than
 * the agent's (a negative niceness) goes only to the threads whose names match {@code favoured} (a regular expression) (dns-svc's receivers);
 * the rest of such a process (its state feed, Kafka client, GC) runs as the agent: at -5, dns-svc's work on
 * the state events of a 50-replica create took the cores from the store, whose heartbeat handling then lagged
 * 2.2 s behind and a node was declared down (lab, 2026-11-26).
 */
record ReadyPriority(int nice, int port, String favoured) {
    /** Every thread gets {@code nice} (the JIT's compilers 0 at most). */
    ReadyPriority(int nice, int port) {
        this(nice, port, ".*");
    }

    private static final Logger LOG = Logger.getLogger(ReadyPriority.class);
    static final long POLL_MS = 250;
    static final long GIVE_UP_MS = 10 * 60_000;

    /** Polls the process's port on {@code timer} until it answers (then sets the niceness), dies, or 10 min pass. */
    void schedule(String name, ProcessHandle process, ScheduledExecutorService timer) {
        long deadline = System.currentTimeMillis() + GIVE_UP_MS;
        timer.schedule(() -> poll(name, process, timer, deadline), POLL_MS, TimeUnit.MILLISECONDS);
    }

    private void poll(String name, ProcessHandle process, ScheduledExecutorService timer, long deadline) {
        if (!process.isAlive() || timer.isShutdown()) {
            return;
        }
        if (answers(port)) {
            apply(name, process.pid());
        } else if (System.currentTimeMillis() < deadline) {
            timer.schedule(() -> poll(name, process, timer, deadline), POLL_MS, TimeUnit.MILLISECONDS);
        } else {
            LOG.warnf("%s (pid %d) not ready on :%d after %d s: its niceness stays as started", name, process.pid(),
                    port, GIVE_UP_MS / 1000);
        }
    }

    /** Sets the niceness of every thread of {@code pid}; returns how many it set (0 if the process is gone). */
    int apply(String name, long pid) {
        List<Long> done = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            List<Long> todo = threads(pid);
            todo.removeAll(done);
            if (todo.isEmpty()) {
                break;
            }
            List<Long> chosen = new ArrayList<>();
            List<Long> others = new ArrayList<>();
            todo.forEach(tid -> (niceFor(threadName(pid, tid)) == nice ? chosen : others).add(tid));
            try {
                renice(nice, chosen);
                renice(Math.max(nice, 0), others);
            } catch (IOException e) {
                LOG.warnf("cannot set the niceness of %s (pid %d): %s", name, pid, e.getMessage());
                return done.size();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.size();
            }
            done.addAll(todo);
        }
        if (!done.isEmpty()) {
            LOG.infof("%s (pid %d) ready: its %d threads now at nice %d", name, pid, done.size(), nice);
        }
        return done.size();
    }

    private static void renice(int nice, List<Long> tids) throws IOException, InterruptedException {
        if (tids.isEmpty()) {
            return;
        }
        Process p = new ProcessBuilder(command(nice, tids)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        // a thread that ended in between makes renice exit 1; the others are set all the same
    }

    static List<String> command(int nice, List<Long> tids) {
        List<String> argv = new ArrayList<>(List.of("renice", "-n", Integer.toString(nice), "-p"));
        tids.forEach(t -> argv.add(Long.toString(t)));
        return argv;
    }

    /** The ids of the process's threads (empty if it is gone). */
    static List<Long> threads(long pid) {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            List<Long> out = new ArrayList<>();
            s.forEach(p -> out.add(Long.parseLong(p.getFileName().toString())));
            return out;
        } catch (IOException | RuntimeException e) {
            return new ArrayList<>();
        }
    }

    /** The kernel's name of a thread (a Java thread's name, cut to 15 characters), "" if it is gone. */
    static String threadName(long pid, long tid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "task", Long.toString(tid), "comm")).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The niceness a thread of this name gets: {@code nice}, or at most 0 for compilers and threads not favoured. */
    int niceFor(String threadName) {
        if (compiler(threadName) || !threadName.matches(favoured)) {
            return Math.max(nice, 0);
        }
        return nice;
    }

    /** HotSpot's compiler threads: "C1 CompilerThread0", "C2 CompilerThread1", ... */
    static boolean compiler(String threadName) {
        return threadName.matches("C[12] CompilerThre.*");
    }

    static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
