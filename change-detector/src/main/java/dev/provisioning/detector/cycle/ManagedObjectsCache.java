package dev.provisioning.detector.cycle;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.persistence.ManagedObjectRepository;
import dev.provisioning.events.ObjectType;

/**
 * The objects each job manages in Druva as this replica's last cycle of the job read them, kept in memory with their
 * version ({@link ManagedObjectRepository}), so that the job's next cycle reads only the rows written and the removals
 * made since (a few, against 100,000 rows for a 100,000-user tenant), whoever wrote them: this replica's results
 * consumer or another replica's. It reads them in full when in doubt: nothing kept (first cycle, restart, dropped),
 * the job's versions restarted (deleted and created again: another origin), or removals it would need were purged
 * (the job's horizon passed its version). So the cache never makes a cycle miss a change of the managed objects.
 *
 * <p>
 * A cycle {@link #take takes} the job's objects out of the cache (a second cycle of the same job on this replica reads
 * its own) and gives them back with {@link #keep} when it ends, whether it succeeded or not: they are what the table
 * held at their version either way. Bounds: those of the snapshot cache ({@code detector.snapshot-cache.max-objects}
 * objects in all, least recently used dropped first, a larger set never kept; a set unused for
 * {@code detector.snapshot-cache.idle} dropped). A kept object costs a map entry (about 45 bytes): its id is the
 * instance the read and the snapshot hold ({@code ManagedObjectRepository} shares it), not a copy of 80 bytes more.
 */
@ApplicationScoped
public class ManagedObjectsCache {

    private static final Logger LOG = Logger.getLogger(ManagedObjectsCache.class);

    private final ManagedObjectRepository managed;
    private final KeptPerJob<Kept> kept;

    @Inject
    public ManagedObjectsCache(ManagedObjectRepository managed, DetectorConfig config) {
        this(managed, config.snapshotCache().maxObjects(), config.snapshotCache().idle());
    }

    ManagedObjectsCache(ManagedObjectRepository managed, long maxObjects, Duration idle) {
        this.managed = managed;
        this.kept = new KeptPerJob<>(maxObjects, idle.toNanos(), k -> k.taken().objects().size(), Kept::keptAt);
    }

    /**
     * A job's managed objects, as a cycle works from them.
     *
     * @param version the job's version they are as of (0: the job never wrote its managed objects)
     * @param origin the version the job's version row was created with
     * @param objects object id to type; the cycle's own until it gives them back (not to be changed)
     * @param delta true when brought up to date from kept objects, false when read in full
     * @param changed the objects the delta read wrote or removed (with a full read: all read)
     * @param since with a delta, the version of the kept objects it brought up to date (else 0)
     * @param changedIds with a delta, the ids of the objects it wrote or removed (else empty)
     */
    public record Taken(long version, long origin, Map<String, ObjectType> objects, boolean delta, int changed,
            long since, Set<String> changedIds) {
    }

    private record Kept(Taken taken, long keptAt) {
    }

    /** The job's managed objects now: the kept ones brought up to date by what changed since, else read in full. */
    public Uni<Taken> take(String jobId) {
        Kept k = kept.remove(jobId);
        if (k == null) {
            return full(jobId);
        }
        Taken before = k.taken();
        return managed.since(jobId, before.version()).chain(read -> {
            if (read.version() == 0 || read.origin() != before.origin() || read.version() < before.version()
                    || read.horizon() > before.version()) {
                LOG.debugf("job %s: its managed objects cannot be brought up to date from version %d (now %d, origin "
                        + "%d, kept origin %d, horizon %d): read in full", jobId, before.version(), read.version(),
                        read.origin(), before.origin(), read.horizon());
                return full(jobId);
            }
            Map<String, ObjectType> objects = before.objects();
            read.removed().forEach(objects::remove);
            objects.putAll(read.objects());
            Set<String> changedIds = new HashSet<>(read.objects().keySet());
            changedIds.addAll(read.removed());
            return Uni.createFrom().item(new Taken(read.version(), read.origin(), objects, true,
                    read.objects().size() + read.removed().size(), before.version(), changedIds));
        });
    }

    private Uni<Taken> full(String jobId) {
        return managed.all(jobId).map(read -> new Taken(read.version(), read.origin(), read.objects(), false,
                read.objects().size(), 0, Set.of()));
    }

    /** Gives the job's objects back (a job that never wrote its managed objects keeps nothing). */
    public void keep(String jobId, Taken taken) {
        if (taken.version() != 0) {
            kept.put(jobId, new Kept(taken, System.nanoTime()));
        }
    }

    /** Objects kept for all jobs together. */
    long objects() {
        return kept.objects();
    }

    /** Drops the objects no cycle used for {@code detector.snapshot-cache.idle}. */
    @Scheduled(every = "1m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void dropIdle() {
        kept.dropIdle(System.nanoTime());
    }
}
