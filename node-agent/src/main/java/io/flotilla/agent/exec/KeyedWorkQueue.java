package io.flotilla.agent.exec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A de-duplicating work queue keyed by id (client-go's workqueue): a key waits at most once; a key is
 * never handled by two workers at once; a key added while it is being handled is handled again
 * afterwards; a handler that throws gets its key back after an exponential backoff.
 */
public final class KeyedWorkQueue implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KeyedWorkQueue.class.getName());

    private final Consumer<String> handler;
    private final Set<String> waiting = new LinkedHashSet<>();
    private final ArrayDeque<String> order = new ArrayDeque<>();
    private final Set<String> active = new HashSet<>();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final List<Thread> workers = new ArrayList<>();
    private final ScheduledExecutorService retries;
    private final long baseBackoffMs;
    private final long maxBackoffMs;
    private boolean closed;

    public KeyedWorkQueue(String name, int workerCount, long baseBackoffMs, long maxBackoffMs,
                          Consumer<String> handler) {
        this.handler = handler;
        this.baseBackoffMs = baseBackoffMs;
        this.maxBackoffMs = maxBackoffMs;
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, name + "-retry"));
        for (int i = 0; i < Math.max(1, workerCount); i++) {
            Thread t = daemon(this::work, name + "-" + i);
            workers.add(t);
            t.start();
        }
    }

    /** Queues the key unless it waits already; never blocks. */
    public synchronized void add(String key) {
        if (closed) {
            return;
        }
        if (active.contains(key)) {
            dirty.add(key);
            return;
        }
        if (waiting.add(key)) {
            order.addLast(key);
            notifyAll();
        }
    }

    /**
     * Queues the key only when it neither waits nor is being handled: for a look again that a pending or
     * running handling already covers.
     */
    public synchronized void addIfIdle(String key) {
        if (!closed && !active.contains(key) && waiting.add(key)) {
            order.addLast(key);
            notifyAll();
        }
    }

    /** Keys waiting or being handled, for tests and health. */
    public synchronized int depth() {
        return waiting.size() + active.size();
    }

    /** True when nothing waits and nothing is being handled (retries pending are not counted). */
    public synchronized boolean idle() {
        return waiting.isEmpty() && active.isEmpty();
    }

    private synchronized String take() throws InterruptedException {
        while (!closed && order.isEmpty()) {
            wait();
        }
        if (closed) {
            return null;
        }
        String key = order.removeFirst();
        waiting.remove(key);
        active.add(key);
        return key;
    }

    private synchronized void done(String key, boolean failed) {
        active.remove(key);
        if (failed) {
            int n = failures.merge(key, 1, Integer::sum);
            long delay = Math.min(maxBackoffMs, baseBackoffMs << Math.min(20, n - 1));
            dirty.remove(key);
            if (!closed) {
                retries.schedule(() -> add(key), delay, TimeUnit.MILLISECONDS);
            }
            return;
        }
        failures.remove(key);
        if (dirty.remove(key)) {
            add(key);
        }
    }

    private void work() {
        while (true) {
            String key;
            try {
                key = take();
            } catch (InterruptedException e) {
                return;
            }
            if (key == null) {
                return;
            }
            boolean failed = false;
            try {
                handler.accept(key);
            } catch (RuntimeException | Error e) {
                failed = true;
                LOG.log(Level.WARNING, "work on " + key + " failed, will retry: " + e.getMessage());
                LOG.log(Level.FINE, "work failure", e);
            }
            done(key, failed);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        retries.shutdownNow();
        workers.forEach(Thread::interrupt);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
