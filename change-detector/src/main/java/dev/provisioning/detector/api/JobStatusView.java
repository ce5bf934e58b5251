package dev.provisioning.detector.api;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * A job's synchronisation details: state, the current (or last) cycle with its counts and progress, and the last
 * error. {@code currentCycle} is the newest cycle; {@code recentCycles} the last ten, newest first.
 * {@code escrowedObjects} is how many objects wait in the writer's escrow (null when the writer cannot be asked).
 */
public record JobStatusView(String jobId, String state, String lastError, OffsetDateTime nextCycleAt,
        CycleView currentCycle,
        CycleView lastCompletedCycle, List<CycleView> recentCycles, QuarantineView quarantine, long heldDeletions,
        CycleView lastSuccessfulCycle, Long escrowedObjects) {

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
     */
    public record CycleView(String cycleId, boolean fullCycle, String status, OffsetDateTime startedAt,
            OffsetDateTime emittedAt, int eventsEmitted, long resultsReceived, int progressPercent, Summary summary,
            Map<String, Long> counts, String error) {
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
