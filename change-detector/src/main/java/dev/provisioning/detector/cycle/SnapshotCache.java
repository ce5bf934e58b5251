package dev.provisioning.detector.cycle;

import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;

/**
 * The snapshot each job's last cycle on this replica left, kept in memory with its generation
 * ({@link SnapshotRepository}), so that a job's next cycle reads one row (its {@link SnapshotRepository#watermark})
 * instead of its whole snapshot (100,000 rows for a 100,000-user directory), unless another writer moved the snapshot
 * since: another replica's cycle, a restart that cleared it (Full, Watermark), anything that writes it. Then the
 * generation differs and the cycle loads the snapshot from the database, so the cache never makes a cycle miss a
 * change.
 *
 * <p>
 * A cycle {@link #take takes} the job's snapshot out of the cache (a second cycle of the same job on this replica, after
 * this replica took its own stalled cycle over, loads its own), and gives it back once it moved the snapshot
 * ({@link #keep(String, Basis, SnapshotRepository.Moved, CyclePlan)}), with its changes applied in memory
 * ({@link SnapshotRepository#mirror}) when the write found the generation the cycle started from (nobody else wrote in
 * between); otherwise nothing is kept. A cycle that fails keeps nothing.
 *
 * <p>
 * Bounds: one snapshot per job; {@code detector.snapshot-cache.max-objects} objects in all (least recently used
 * dropped first, a larger snapshot never kept); a snapshot no cycle used for {@code detector.snapshot-cache.idle} is
 * dropped (its cycles run on another replica now, or seldom); a deleted job's is dropped at its deletion on this replica
 * ({@link #forget}), else when idle ({@link KeptPerJob}). The managed objects, which change with most results, are
 * kept apart and brought up to date by what changed since ({@link ManagedObjectsCache}).
 */
@ApplicationScoped
public class SnapshotCache {

    private static final Logger LOG = Logger.getLogger(SnapshotCache.class);

    private final SnapshotRepository snapshots;
    private final KeptPerJob<Kept> kept;

    @Inject
    public SnapshotCache(SnapshotRepository snapshots, DetectorConfig config) {
        this(snapshots, config.snapshotCache().maxObjects(), config.snapshotCache().idle());
    }

    SnapshotCache(SnapshotRepository snapshots, long maxObjects, Duration idle) {
        this.snapshots = snapshots;
        this.kept = new KeptPerJob<>(maxObjects, idle.toNanos(), Kept::objects, Kept::keptAt);
    }

    /**
     * A job's snapshot kept between cycles.
     *
     * @param generation the snapshot's generation; the table held exactly this snapshot at this generation
     * @param snapshot the snapshot (not to be changed but through this cache)
     * @param reused how many cycles took it from the cache since it was last loaded from the database
     * @param keptAt when it was kept ({@link System#nanoTime})
     * @param objects its users and groups, counted when it was kept
     */
    public record Kept(long generation, Snapshot snapshot, int reused, long keptAt, long objects) {

        Kept(long generation, Snapshot snapshot, int reused) {
            this(generation, snapshot, reused, System.nanoTime(),
                    (long) snapshot.users().size() + snapshot.groups().size());
        }
    }

    /**
     * What a cycle works from.
     *
     * @param generation the generation read before the snapshot (0: the job never wrote its snapshot)
     * @param snapshot the job's snapshot, at this generation or newer (a write committed between the two reads); the
     *        cycle's own until it gives it back
     * @param sourceVersion the source version the stored snapshot reflects ({@link SnapshotRepository.Watermark})
     * @param reused how many cycles took it from the cache since it was loaded: 0 when this one loaded it
     */
    public record Basis(long generation, Snapshot snapshot, String sourceVersion, int reused) {
    }

    /**
     * The job's snapshot for a cycle: the kept one while the stored generation is still its own, else loaded (the
     * generation read first). The kept one leaves the cache until {@link #keep} gives it back.
     */
    public Uni<Basis> take(String jobId) {
        return snapshots.watermark(jobId).chain(watermark -> {
            Kept k = kept.remove(jobId);
            if (k != null && watermark.generation() != 0 && k.generation() == watermark.generation()) {
                return Uni.createFrom().item(new Basis(k.generation(), k.snapshot(), watermark.sourceVersion(),
                        k.reused() + 1));
            }
            if (k != null) {
                LOG.debugf("job %s: its snapshot moved elsewhere (generation %d, kept %d): loaded again", jobId,
                        watermark.generation(), k.generation());
            }
            return snapshots.load(jobId)
                    .map(snapshot -> new Basis(watermark.generation(), snapshot, watermark.sourceVersion(), 0));
        });
    }

    /**
     * The cycle moved the snapshot with {@code plan}'s changes ({@link SnapshotRepository#apply} answered
     * {@code moved}): keeps the snapshot with those changes at the new generation when the write replaced the
     * generation the cycle started from; else (another writer came in between, the job is gone, or the database refused
     * some of the changes, so the table is not what the plan would make of it) keeps nothing.
     *
     * @return the generation the snapshot was kept at, or 0 when it was not kept
     */
    public long keep(String jobId, Basis basis, SnapshotRepository.Moved moved, CyclePlan plan) {
        if (!moved.refused().isEmpty()) {
            LOG.debugf("job %s: the database refused %d of the cycle's snapshot changes: not kept", jobId,
                    moved.refused().size());
            return 0;
        }
        if (moved.generation() == 0 || moved.previous() != basis.generation()) {
            LOG.debugf("job %s: its snapshot was written elsewhere during the cycle (generation %d, the cycle's %d): "
                    + "not kept", jobId, moved.previous(), basis.generation());
            return 0;
        }
        SnapshotRepository.mirror(basis.snapshot(), plan.snapshotUpserts(), plan.snapshotNames(),
                plan.snapshotRemovals());
        kept.put(jobId, new Kept(moved.generation(), basis.snapshot(), basis.reused()));
        return moved.generation();
    }

    /**
     * The cycle wrote nothing: keeps the snapshot at the generation it started from.
     *
     * @return that generation, or 0 when nothing was kept (the job never wrote its snapshot)
     */
    public long keep(String jobId, Basis basis) {
        if (basis.generation() != 0) {
            kept.put(jobId, new Kept(basis.generation(), basis.snapshot(), basis.reused()));
        }
        return basis.generation();
    }

    /** Drops the job's snapshot (the job was deleted). */
    public void forget(String jobId) {
        kept.remove(jobId);
    }

    /** The job's kept snapshot, if any (diagnostics and tests; the snapshot is not to be changed). */
    public Optional<Kept> kept(String jobId) {
        return Optional.ofNullable(kept.get(jobId));
    }

    /** Objects kept in all snapshots together. */
    long objects() {
        return kept.objects();
    }

    /** Drops the snapshots no cycle used for {@code detector.snapshot-cache.idle}. */
    @Scheduled(every = "1m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void dropIdle() {
        dropIdle(System.nanoTime());
    }

    void dropIdle(long now) {
        kept.dropIdle(now);
    }
}
