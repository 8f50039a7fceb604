package io.flotilla.state.raft;

import io.flotilla.contracts.v1.Kind;
import io.flotilla.contracts.v1.StoredObject;

import java.util.AbstractMap;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiConsumer;

/**
 * The table of one kind in {@link MaterializedCaches} that are still starting: the first write waits for
 * them (the state machine's first apply, e.g. the log's replay), reads before it see the empty table a
 * fresh cache is. The cache manager thereby starts in parallel with the Raft channel, off the thread that
 * made the store (a Vert.x event loop).
 */
final class DeferredTable extends AbstractMap<String, StoredObject> implements ConcurrentMap<String, StoredObject> {
    private final Kind kind;
    private final CompletableFuture<MaterializedCaches> caches;
    private volatile ConcurrentMap<String, StoredObject> table;

    DeferredTable(Kind kind, CompletableFuture<MaterializedCaches> caches) {
        this.kind = kind;
        this.caches = caches;
    }

    /** The cache, waiting for the cache manager if it is still starting. */
    private ConcurrentMap<String, StoredObject> write() {
        ConcurrentMap<String, StoredObject> t = table;
        if (t == null) {
            synchronized (this) {
                t = table;
                if (t == null) {
                    t = caches.join().apply(kind);
                    table = t;
                }
            }
        }
        return t;
    }

    /** The cache, or an empty map while nothing has been written (the cache would be empty too). */
    private Map<String, StoredObject> read() {
        ConcurrentMap<String, StoredObject> t = table;
        return t == null ? Map.of() : t;
    }

    @Override
    public StoredObject get(Object key) {
        return read().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return read().containsKey(key);
    }

    @Override
    public int size() {
        return read().size();
    }

    @Override
    public boolean isEmpty() {
        return read().isEmpty();
    }

    @Override
    public Collection<StoredObject> values() {
        return read().values();
    }

    @Override
    public Set<String> keySet() {
        return read().keySet();
    }

    @Override
    public Set<Entry<String, StoredObject>> entrySet() {
        return read().entrySet();
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super StoredObject> action) {
        read().forEach(action);
    }

    @Override
    public StoredObject put(String key, StoredObject value) {
        return write().put(key, value);
    }

    @Override
    public void putAll(Map<? extends String, ? extends StoredObject> m) {
        write().putAll(m);
    }

    @Override
    public StoredObject remove(Object key) {
        return write().remove(key);
    }

    /** Before the first write there is nothing to clear (and no reason to wait for the caches). */
    @Override
    public void clear() {
        ConcurrentMap<String, StoredObject> t = table;
        if (t != null) {
            t.clear();
        }
    }

    @Override
    public StoredObject putIfAbsent(String key, StoredObject value) {
        return write().putIfAbsent(key, value);
    }

    @Override
    public boolean remove(Object key, Object value) {
        return write().remove(key, value);
    }

    @Override
    public boolean replace(String key, StoredObject oldValue, StoredObject newValue) {
        return write().replace(key, oldValue, newValue);
    }

    @Override
    public StoredObject replace(String key, StoredObject value) {
        return write().replace(key, value);
    }
}
