package dev.finetune.inference;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loaded models kept for reuse, bounded by their total size in bytes, least recently used evicted
 * first. Loading happens once per key even when many threads ask at the same time (the others wait
 * for the first); a value larger than the whole bound is still returned, and kept alone.
 *
 * <p>Eviction only drops the cache's reference: a request that holds the model keeps using it.
 *
 * @param <V> the loaded model type
 */
public final class ModelCache<V> {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);

    private final long maxBytes;
    private final ToLongFunction<V> sizeOf;
    private final LinkedHashMap<String, V> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, Object> loadLocks = new ConcurrentHashMap<>();
    private long bytes;

    /**
     * @param maxBytes the bound on the sum of {@code sizeOf} over cached values
     * @param sizeOf   a value's size in bytes
     */
    public ModelCache(long maxBytes, ToLongFunction<V> sizeOf) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.sizeOf = Objects.requireNonNull(sizeOf);
    }

    /** The cached value for {@code key}, loading it with {@code loader} when absent. */
    public V get(String key, Function<String, V> loader) {
        V v = peek(key);
        if (v != null) {
            return v;
        }
        Object lock = loadLocks.computeIfAbsent(key, k -> new Object());
        synchronized (lock) {
            v = peek(key);
            if (v != null) {
                return v;
            }
            V loaded = Objects.requireNonNull(loader.apply(key), "loader returned null for " + key);
            put(key, loaded);
            return loaded;
        }
    }

    private synchronized V peek(String key) {
        return entries.get(key);
    }

    private synchronized void put(String key, V value) {
        long size = sizeOf.applyAsLong(value);
        V old = entries.put(key, value);
        if (old != null) {
            bytes -= sizeOf.applyAsLong(old);
        }
        bytes += size;
        Iterator<Map.Entry<String, V>> it = entries.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<String, V> e = it.next();
            if (e.getKey().equals(key)) {
                continue;
            }
            bytes -= sizeOf.applyAsLong(e.getValue());
            LOG.debug("evicting model {} from the cache", e.getKey());
            it.remove();
        }
    }

    /** Drops {@code key} (e.g. after the model was deleted or retrained). */
    public synchronized void invalidate(String key) {
        V old = entries.remove(key);
        if (old != null) {
            bytes -= sizeOf.applyAsLong(old);
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized boolean contains(String key) {
        return entries.containsKey(key);
    }
}
