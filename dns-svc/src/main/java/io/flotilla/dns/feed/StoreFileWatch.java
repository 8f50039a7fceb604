package io.flotilla.dns.feed;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * Calls {@code read} whenever the store file may have changed: on each change in its directory (inotify, through
 * a {@link WatchService}: the node-agent replaces the file by an atomic move), and at the latest every
 * {@code recheckMs}. Where the directory cannot be watched, every {@value #POLL_MS} ms. An idle node's dns-svc
 * read the file ten times a second before (three dns-svc: 21 CPU ticks in 30 s); now it wakes when the agent writes it.
 */
final class StoreFileWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StoreFileWatch.class);
    static final long POLL_MS = 100;

    private final Path file;
    private final long recheckMs;
    private final Runnable read;
    private final Thread thread;
    private volatile WatchService watch;
    private volatile boolean closed;

    StoreFileWatch(Path file, long recheckMs, Runnable read) {
        this.file = file;
        this.recheckMs = recheckMs;
        this.read = read;
        this.thread = new Thread(this::run, "dns-store-file");
        thread.setDaemon(true);
    }

    /** Starts watching (the caller has read the file once already). */
    StoreFileWatch start() {
        try {
            WatchService ws = file.getFileSystem().newWatchService();
            try {
                file.toAbsolutePath().getParent().register(ws, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
                watch = ws;
            } catch (IOException | RuntimeException e) {
                ws.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot watch the directory of %s (%s): reading it every %d ms", file, e.getMessage(), POLL_MS);
        }
        thread.start();
        return this;
    }

    /** Whether changes come from the directory's watch (else: polling). */
    boolean watching() {
        return watch != null;
    }

    private void run() {
        try {
            while (!closed) {
                WatchService ws = watch;
                if (ws == null) {
                    Thread.sleep(POLL_MS);
                } else {
                    WatchKey key = ws.poll(recheckMs, TimeUnit.MILLISECONDS);
                    if (key != null) {
                        key.pollEvents();
                        if (!key.reset()) {
                            LOG.warnf("the directory of %s can no longer be watched: reading it every %d ms", file, POLL_MS);
                            watch = null;
                            closeQuietly(ws);
                        }
                    }
                }
                if (!closed) {
                    read.run();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    @Override
    public void close() {
        closed = true;
        WatchService ws = watch;
        if (ws != null) {
            closeQuietly(ws);
        }
        thread.interrupt();
    }

    private void closeQuietly(WatchService ws) {
        try {
            ws.close();
        } catch (IOException e) {
            LOG.debugf("closing the watch of %s: %s", file, e.getMessage());
        }
    }
}
