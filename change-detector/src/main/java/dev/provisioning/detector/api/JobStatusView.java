package dev.provisioning.detector.api;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * A job's synchronisation details: state, the current (or last) cycle with its counts and progress, and the last
 * error. {@code currentCycle} is the newest cycle; {@code recentCycles} the last ten, newest first.
 * {@code heldDeletions} counts the disables and deletes held by the deletion threshold, {@code heldObjects} lists them
 * (at most {@value #LIST_LIMIT}). {@code escrowedObjects} counts the objects the scim-writer holds in escrow, from their
 * results (a Failure that says when it is retried, with no later outcome yet), and {@code escrowed} lists them (at most
 * {@value #LIST_LIMIT}, the soonest retry first). {@code writerEscrows} is the writer's own count of the job's escrowed
 * and held operations (null when the writer cannot be asked within 2 s). {@code lastCompletedCycle} is the newest
 * COMPLETED cycle of the recent ones (often an incremental cycle of a quiet tenant that sent nothing, 0 of 0 objects);
 * {@code lastCycleWithChanges} is the newest COMPLETED cycle with at least one result that is not Skipped (an object
 * created, updated, disabled or deleted in Druva, a membership changed, or a failure), however long ago it started
 * (not only among the recent ten), or null when no cycle of the job changed anything yet, or none that did is complete
 * (one still waiting for results is not), or they are older than {@code detector.log-retention} (purged with the log).
 * A cycle whose every object was skipped (already as in the source: {@code RedundantExport}; out of scope) is not one.
 */
public record JobStatusView(String jobId, String state, String lastError, OffsetDateTime nextCycleAt,
        CycleView currentCycle,
        CycleView lastCompletedCycle, List<CycleView> recentCycles, QuarantineView quarantine, long heldDeletions,
        CycleView lastSuccessfulCycle, Long escrowedObjects, List<HeldObject> heldObjects,
        List<EscrowedObject> escrowed, int failedCyclesInARow, Long writerEscrows, CycleView lastCycleWithChanges) {

    /** The most entries a list of the status holds. */
    public static final int LIST_LIMIT = 1000;

    /**
     * A disable or delete held by the deletion threshold.
     *
     * @param sourceChange what the source said of the object: UPDATED (unassigned or out of scope), SOFT_DELETED or
     *        HARD_DELETED
     * @param cycleId the cycle that first held it
     */
    public record HeldObject(String objectId, String objectType, String displayName, String sourceChange,
            String cycleId, OffsetDateTime heldAt) {
    }

    /**
     * An object whose operation the scim-writer escrowed: its Failure result said when it is retried.
     *
     * @param retryAt when the writer retries it
     */
    public record EscrowedObject(String objectId, String objectType, String displayName, String cycleId,
            String errorCode, String reason, OffsetDateTime failedAt, OffsetDateTime retryAt) {
    }

    /**
     * The job's quarantine, when it is quarantined.
     *
     * @param reason Entra's code: {@code InvalidCredentials}, {@code TooManyFailures} or
     *        {@code DeletionThresholdExceeded}
     * @param detail what happened and what to do
     * @param nextAttempt when the next (daily) cycle runs
     */
    public record QuarantineView(String reason, String detail, OffsetDateTime since, OffsetDateTime nextAttempt) {
    }

    /**
     * One cycle.
     *
     * @param status RUNNING (reading and emitting), IN_PROGRESS (waiting for results), COMPLETED or FAILED
     * @param eventsEmitted objects the cycle sent for provisioning
     * @param resultsReceived of those, how many have an outcome
     * @param progressPercent resultsReceived / eventsEmitted (100 for an empty cycle)
     * @param summary created, updated, disabled, deleted, skipped and failed objects
     * @param counts results by {@code Action/Status}
     * @param danglingReferences references of the source read that name no object (each a Warning in the log)
     * @param startedAt when the cycle started (ISO-8601, UTC)
     * @param completedAt when the cycle completed: its last result was recorded, or, for a cycle that sent nothing,
     *        its emission ended (ISO-8601, UTC, the database's clock as {@code startedAt}, so never before it); null
     *        while it runs or waits for results, for a FAILED cycle, and for the moment between its last result and
     *        the completion being recorded
     * @param durationMillis {@code completedAt - startedAt} in milliseconds: the cycle's own time from its start to
     *        its last result (not when a client noticed); null when {@code completedAt} is
     */
    public record CycleView(String cycleId, boolean fullCycle, String status, OffsetDateTime startedAt,
            OffsetDateTime emittedAt, int eventsEmitted, long resultsReceived, int progressPercent, Summary summary,
            Map<String, Long> counts, String error, int danglingReferences, OffsetDateTime completedAt,
            Long durationMillis) {
    }

    /** Counts as the administrator reads them. */
    public record Summary(long created, long updated, long disabled, long deleted, long skipped, long failed) {

        static Summary of(Map<String, Long> counts) {
            long created = 0, updated = 0, disabled = 0, deleted = 0, skipped = 0, failed = 0;
            for (var e : counts.entrySet()) {
                String[] actionStatus = e.getKey().split("/");
                long n = e.getValue();
                switch (actionStatus[1]) {
                    case "Skipped" -> skipped += n;
                    case "Failure" -> failed += n;
                    default -> {
                        switch (actionStatus[0]) {
                            case "Create" -> created += n;
                            case "Update" -> updated += n;
                            case "Disable" -> disabled += n;
                            case "Delete" -> deleted += n;
                            default -> {
                            }
                        }
                    }
                }
            }
            return new Summary(created, updated, disabled, deleted, skipped, failed);
        }
    }
}
