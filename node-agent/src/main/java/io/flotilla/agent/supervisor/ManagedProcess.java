package io.flotilla.agent.supervisor;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One supervised child process: started with its log and pidfile, adopted from its pidfile when it still
 * runs, restarted with backoff when it dies unexpectedly, stopped by pid (TERM, grace, KILL).
 */
final class ManagedProcess {
    private static final Logger LOG = Logger.getLogger(ManagedProcess.class);
    static final long MAX_BACKOFF_MS = 30_000;

    final String name;
    private final List<String> command;
    private final String marker;
    private final ReadyPriority whenReady;
    private final Map<String, String> env;
    private final Path pidfile;
    private final Path logfile;
    private final ScheduledExecutorService timer;
    private final long graceMillis;

    private volatile boolean wanted;
    private volatile ProcessHandle handle;
    private long backoffMs = 500;
    private long startedAt;
    private int restarts;

    ManagedProcess(String name, Supervisor.Command command, Map<String, String> env, Path pidfile,
                   Path logfile, ScheduledExecutorService timer, long graceMillis) {
        this.name = name;
        this.command = List.copyOf(command.argv());
        this.marker = command.marker();
        this.whenReady = command.whenReady();
        this.env = Map.copyOf(env);
        this.pidfile = pidfile;
        this.logfile = logfile;
        this.timer = timer;
        this.graceMillis = graceMillis;
    }

    synchronized void ensureRunning() throws IOException {
        wanted = true;
        if (handle != null && handle.isAlive()) {
            return;
        }
        Optional<ProcessHandle> existing = fromPidfile(pidfile, marker);
        if (existing.isPresent()) {
            handle = existing.get();
            LOG.infof("adopted %s (pid %d) from %s", name, handle.pid(), pidfile);
            startedAt = System.currentTimeMillis();
            watch(handle);
            return;
        }
        spawn();
    }

    private void spawn() throws IOException {
        Files.createDirectories(pidfile.getParent());
        Files.createDirectories(logfile.getParent());
        ProcessBuilder pb = new ProcessBuilder(command);
        ManagerEnv.NOT_INHERITED.forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logfile.toFile()));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        // the pidfile first: whoever sees the new pid (pids()) finds it in the pidfile too
        Path tmp = pidfile.resolveSibling(pidfile.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, p.pid() + "\n");
            Files.move(tmp, pidfile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            p.destroyForcibly(); // a child no pidfile names would outlive every stop
            throw e;
        }
        handle = p.toHandle();
        startedAt = System.currentTimeMillis();
        LOG.infof("started %s (pid %d), log %s", name, p.pid(), logfile);
        watch(handle);
    }

    private void watch(ProcessHandle h) {
        h.onExit().thenRun(() -> exited(h));
        if (whenReady != null) {
            whenReady.schedule(name, h, timer);
        }
    }

    private synchronized void exited(ProcessHandle h) {
        if (!wanted || handle != h || timer.isShutdown()) {
            return;
        }
        long ranFor = System.currentTimeMillis() - startedAt;
        if (ranFor > 60_000) {
            backoffMs = 500;
        }
        long delay = backoffMs;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        LOG.warnf("%s (pid %d) exited unexpectedly after %d ms; restarting in %d ms", name, h.pid(), ranFor, delay);
        timer.schedule(this::restart, delay, TimeUnit.MILLISECONDS);
    }

    private synchronized void restart() {
        if (!wanted || (handle != null && handle.isAlive())) {
            return;
        }
        try {
            restarts++;
            spawn();
        } catch (IOException | RuntimeException e) {
            LOG.errorf("cannot restart %s: %s", name, e.getMessage());
            handle = null;
            long delay = backoffMs;
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
            timer.schedule(this::restart, delay, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops it and starts a new process, which reads its files (e.g. a renewed certificate) afresh. */
    void replace() throws IOException {
        stop();
        ensureRunning();
    }

    /** TERM, wait the grace period, KILL; by pid only. */
    void stop() {
        ProcessHandle h;
        synchronized (this) {
            wanted = false;
            h = handle != null ? handle : fromPidfile(pidfile, marker).orElse(null);
            handle = null;
        }
        if (h != null && h.isAlive()) {
            h.destroy();
            try {
                h.onExit().get(graceMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.warnf("%s (pid %d) ignored TERM for %d ms: KILL", name, h.pid(), graceMillis);
                h.destroyForcibly();
                try {
                    h.onExit().get(5, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // gone or stuck in the kernel; nothing more to do
                }
            } catch (Exception e) {
                Thread.currentThread().interrupt();
            }
            LOG.infof("stopped %s (pid %d)", name, h.pid());
        }
        try {
            Files.deleteIfExists(pidfile);
        } catch (IOException ignored) {
            // best effort
        }
    }

    Optional<ProcessHandle> current() {
        ProcessHandle h = handle;
        return h != null && h.isAlive() ? Optional.of(h) : Optional.empty();
    }

    int restarts() {
        return restarts;
    }

    /** The live process a pidfile names, if its command line still carries the marker (no pid reuse). */
    static Optional<ProcessHandle> fromPidfile(Path pidfile, String marker) {
        try {
            if (!Files.exists(pidfile)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(pidfile).trim());
            Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            if (h.isEmpty()) {
                return Optional.empty();
            }
            Path cmdline = Path.of("/proc/" + pid + "/cmdline");
            if (Files.exists(cmdline)) {
                String cl = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).replace('\0', ' ');
                if (!cl.contains(marker)) {
                    return Optional.empty();
                }
            }
            return h;
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
