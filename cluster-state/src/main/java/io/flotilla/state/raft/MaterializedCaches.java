package io.flotilla.state.raft;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;
import org.infinispan.Cache;
import org.infinispan.configuration.cache.Configuration;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import io.flotilla.state.store.StoreStateMachine;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * The materialized state of one manager: an Infinispan local cache per kind, filled only by the store's
 * state machine as it applies committed entries (and loads snapshots).
 *
 * <p>Local, not clustered: Raft already replicates every change to each manager, so each cache holds the
 * same data on every manager without Infinispan's own replication (which would be a second, weaker
 * consistency path). Simple caches (no interceptor chain, transactions or persistence: durability is the
 * Raft log and snapshots), objects kept as they are on the heap, no JMX, no statistics.
 */
public final class MaterializedCaches implements Function<Kind, ConcurrentMap<String, StoredObject>>, AutoCloseable {
    private final DefaultCacheManager manager;

    public MaterializedCaches(String memberId) {
        GlobalConfigurationBuilder global = new GlobalConfigurationBuilder().nonClusteredDefault();
        global.cacheManagerName("flotilla-state-" + memberId);
        global.jmx().enabled(false);
        global.metrics().gauges(false).histograms(false);
        this.manager = new DefaultCacheManager(global.build(), true);
        Configuration table = new ConfigurationBuilder().simpleCache(true).statistics().enabled(false).build();
        for (Kind kind : StoreStateMachine.kinds()) {
            manager.defineConfiguration(name(kind), table);
        }
    }

    /**
     * Starts the cache manager on a thread of its own and returns at once: it takes 0.5-10 s on a busy host,
     * and the store is first made on a Vert.x event loop (while the gRPC server is built).
     */
    public static CompletableFuture<MaterializedCaches> startAsync(String memberId) {
        CompletableFuture<MaterializedCaches> started = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                started.complete(new MaterializedCaches(memberId));
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        }, "infinispan-start");
        t.setDaemon(true);
        t.start();
        return started;
    }

    /** Tables on caches that may still be starting: the first write to one waits for them ({@link DeferredTable}). */
    public static Function<Kind, ConcurrentMap<String, StoredObject>> deferred(CompletableFuture<MaterializedCaches> caches) {
        return kind -> new DeferredTable(kind, caches);
    }

    private static String name(Kind kind) {
        return "flotilla." + kind.name().toLowerCase(Locale.ROOT).replace("kind_", "");
    }

    /** The cache of one kind ({@code flotilla.task}, ...), made on first use. */
    @Override
    public ConcurrentMap<String, StoredObject> apply(Kind kind) {
        Cache<String, StoredObject> cache = manager.getCache(name(kind));
        return cache;
    }

    @Override
    public void close() {
        manager.stop();
    }
}
