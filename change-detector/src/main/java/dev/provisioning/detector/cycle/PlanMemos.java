package dev.provisioning.detector.cycle;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.scheduler.Scheduled;

import dev.provisioning.detector.config.DetectorConfig;

/**
 * The memo of each job's last plan on this replica ({@link PlanMemo}), kept between cycles with the snapshot its cycle
 * moved, so that the job's next incremental cycle plans only what changed. A cycle {@link #take takes} the job's memo
 * out (a second cycle of the same job on this replica walks every object) and gives the new one back once it moved
 * the snapshot and kept it in the {@link SnapshotCache} ({@link #keep}); a cycle that fails keeps none. Bounds: those
 * of the snapshot cache ({@code detector.snapshot-cache.max-objects} objects in all, least recently used dropped first;
 * a memo unused for {@code detector.snapshot-cache.idle} dropped, a deleted job's among them: it is valid only
 * with the very snapshot its cycle kept).
 */
@ApplicationScoped
public class PlanMemos {

    private final KeptPerJob<Kept> kept;

    private record Kept(PlanMemo memo, long keptAt) {
    }

    @Inject
    public PlanMemos(DetectorConfig config) {
        this(config.snapshotCache().maxObjects(), config.snapshotCache().idle());
    }

    PlanMemos(long maxObjects, Duration idle) {
        this.kept = new KeptPerJob<>(maxObjects, idle.toNanos(), k -> k.memo().objects(), Kept::keptAt);
    }

    /** The job's memo, taken out, or null. */
    public PlanMemo take(String jobId) {
        Kept k = kept.remove(jobId);
        return k == null ? null : k.memo();
    }

    /**
     * Keeps the memo of the job's cycle, valid for the snapshot the {@link SnapshotCache} kept at {@code generation}.
     *
     * @param generation the kept snapshot's generation; 0 (nothing kept) keeps no memo
     */
    public void keep(String jobId, PlanMemo memo, long generation) {
        if (memo != null && generation != 0) {
            kept.put(jobId, new Kept(memo.at(generation), System.nanoTime()));
        }
    }

    /** Drops the memos no cycle used for {@code detector.snapshot-cache.idle}. */
    @Scheduled(every = "1m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void dropIdle() {
        kept.dropIdle(System.nanoTime());
    }
}
