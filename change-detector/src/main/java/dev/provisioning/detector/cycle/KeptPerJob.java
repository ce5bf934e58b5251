package dev.provisioning.detector.cycle;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.ToLongFunction;

/**
 * What the caches of this package keep per job between cycles ({@link SnapshotCache}, {@link ManagedObjectsCache}),
 * bounded: at most {@code maxObjects} objects in all (the least recently used job's value dropped first to make room,
 * a larger value never kept), and a value kept {@code idleNanos} ago without being used since dropped by
 * {@link #dropIdle}. Thread-safe.
 *
 * @param <T> the value kept per job
 */
final class KeptPerJob<T> {

    private final long maxObjects;
    private final long idleNanos;
    private final ToLongFunction<T> size;
    private final ToLongFunction<T> keptAt;
    /** Job id to its value, least recently used first; guarded by {@code this}. */
    private final LinkedHashMap<String, Sized<T>> kept = new LinkedHashMap<>(16, 0.75f, true);
    /** Objects in {@link #kept}; guarded by {@code this}. */
    private long objects;

    /**
     * @param size a value's objects, counted when it is kept
     * @param keptAt when a value was kept ({@link System#nanoTime})
     */
    KeptPerJob(long maxObjects, long idleNanos, ToLongFunction<T> size, ToLongFunction<T> keptAt) {
        this.maxObjects = maxObjects;
        this.idleNanos = idleNanos;
        this.size = size;
        this.keptAt = keptAt;
    }

    private record Sized<T>(T value, long objects) {
    }

    /** Keeps the job's value in place of any other, unless it alone exceeds the bound. */
    synchronized void put(String jobId, T value) {
        remove(jobId);
        long objectsOfValue = size.applyAsLong(value);
        if (objectsOfValue > maxObjects) {
            return;
        }
        for (Iterator<Sized<T>> i = kept.values().iterator(); objects + objectsOfValue > maxObjects && i.hasNext();) {
            objects -= i.next().objects();
            i.remove();
        }
        kept.put(jobId, new Sized<>(value, objectsOfValue));
        objects += objectsOfValue;
    }

    /** Takes the job's value out, or null. */
    synchronized T remove(String jobId) {
        Sized<T> k = kept.remove(jobId);
        if (k == null) {
            return null;
        }
        objects -= k.objects();
        return k.value();
    }

    /** The job's value, left kept (counts as a use), or null. */
    synchronized T get(String jobId) {
        Sized<T> k = kept.get(jobId);
        return k == null ? null : k.value();
    }

    /** Objects kept for all jobs together. */
    synchronized long objects() {
        return objects;
    }

    /** Drops the values kept {@code idleNanos} or longer before {@code now} ({@link System#nanoTime}). */
    synchronized void dropIdle(long now) {
        for (Iterator<Sized<T>> i = kept.values().iterator(); i.hasNext();) {
            Sized<T> k = i.next();
            if (now - keptAt.applyAsLong(k.value()) >= idleNanos) {
                objects -= k.objects();
                i.remove();
            }
        }
    }
}
