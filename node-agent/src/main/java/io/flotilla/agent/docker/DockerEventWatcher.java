package io.flotilla.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import io.flotilla.agent.exec.TaskContainers;

import java.io.Closeable;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Follows the engine's {@code die} events of task containers (label com.docker.swarm.task.id), and its
 * {@code kill} events with SIGKILL (signal 9), which come 25-30 ms before the container's death; re-subscribes
 * when the stream breaks; after every re-subscription it asks for a full look, since deaths in the gap were not
 * seen.
 */
public final class DockerEventWatcher implements AutoCloseable {

    /** Where deaths go. */
    public interface Listener {
        void died(String taskId, String containerId, Integer exitCode);

        /** The engine sent the container SIGKILL: it dies next. */
        void killed(String taskId, String containerId);

        /** The stream was re-established after a break: look at everything again. */
        void resubscribed();
    }

    private static final Logger LOG = Logger.getLogger(DockerEventWatcher.class.getName());
    /** The kill event's signal attribute (the signal's number) for SIGKILL. */
    private static final String SIGKILL = "9";

    private final DockerClient docker;
    private final Listener listener;
    private final long minBackoffMs;
    private final long maxBackoffMs;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "docker-events-reconnect");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger generation = new AtomicInteger();
    private volatile boolean closed;
    private volatile Closeable stream;
    private volatile boolean everStarted;
    private volatile long backoffMs;

    public DockerEventWatcher(DockerClient docker, Listener listener, long minBackoffMs, long maxBackoffMs) {
        this.docker = docker;
        this.listener = listener;
        this.minBackoffMs = minBackoffMs;
        this.maxBackoffMs = maxBackoffMs;
        this.backoffMs = minBackoffMs;
    }

    public void start() {
        subscribe();
    }

    private synchronized void subscribe() {
        if (closed) {
            return;
        }
        int gen = generation.incrementAndGet();
        ResultCallback.Adapter<Event> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onStart(Closeable s) {
                super.onStart(s);
                stream = s;
                backoffMs = minBackoffMs;
                boolean again = everStarted;
                everStarted = true;
                if (again) {
                    LOG.info("docker event stream re-established");
                    listener.resubscribed();
                }
            }

            @Override
            public void onNext(Event e) {
                handle(e);
            }

            @Override
            public void onError(Throwable t) {
                // not super.onError: it logs every stream break (and our own close) as an ERROR with a trace
                LOG.log(Level.FINE, "docker event stream failed", t);
                try {
                    close();
                } catch (Exception ignored) {
                    // broken anyway
                }
                broken(gen, t.toString());
            }

            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    broken(gen, "ended");
                }
            }
        };
        try {
            docker.eventsCmd().withEventTypeFilter(EventType.CONTAINER).withEventFilter("die", "kill")
                    .withLabelFilter(TaskContainers.LABEL_TASK_ID).exec(callback);
        } catch (RuntimeException e) {
            broken(gen, e.toString());
        }
    }

    private void handle(Event e) {
        if (e.getActor() == null) {
            return;
        }
        Map<String, String> attrs = e.getActor().getAttributes() == null ? Map.of() : e.getActor().getAttributes();
        String taskId = attrs.get(TaskContainers.LABEL_TASK_ID);
        if ("kill".equals(e.getAction())) {
            if (SIGKILL.equals(attrs.get("signal"))) {
                try {
                    listener.killed(taskId, e.getActor().getId());
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "kill event handling failed", ex);
                }
            }
            return;
        }
        if (!"die".equals(e.getAction())) {
            return;
        }
        Integer exit = null;
        try {
            String s = attrs.get("exitCode");
            exit = s == null ? null : Integer.valueOf(s);
        } catch (NumberFormatException ignored) {
            // left unknown
        }
        try {
            listener.died(taskId, e.getActor().getId(), exit);
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "die event handling failed", ex);
        }
    }

    private void broken(int gen, String why) {
        if (closed || !generation.compareAndSet(gen, gen + 1_000_000)) {
            return; // already handled for this subscription
        }
        long delay = backoffMs;
        backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
        LOG.warning("docker event stream broke (" + why + "); reconnecting in " + delay + " ms");
        scheduler.schedule(this::subscribe, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        Closeable s = stream;
        if (s != null) {
            try {
                s.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
    }
}
