package dev.provisioning.detector.job;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * One cycle of a job: it reads the source, emits one assignment event per changed object, then waits for their
 * results. This record holds the one rule for when a cycle is complete ({@link #complete()}), from which the status
 * API, the progress gauge, the overlap guard and the follow-up cycle all read.
 *
 * @param full whether the cycle re-evaluated every object (initial cycle, restart, configuration change)
 * @param stage how far the cycle runner got
 * @param startedAt when the cycle started
 * @param emittedAt when its last event was acknowledged by the broker (null before)
 * @param eventsEmitted how many events it emitted
 * @param results what the results recorded so far say
 * @param finishedAt when its last result was recorded, or when it was emitted if it sent nothing (null before)
 * @param error why the cycle failed, else null
 * @param danglingReferences references in the source that name no object (group members, assignments), reported as
 *        Warning entries in the provisioning log
 */
public record Cycle(String id, String jobId, boolean full, Stage stage, Instant startedAt, Instant emittedAt,
        int eventsEmitted, Results results, Instant finishedAt, String error, int danglingReferences) {

    /** How far the cycle runner got: what the store records. */
    public enum Stage {
        /** Reading the source and emitting. */
        RUNNING,
        /** Every event is on Kafka; results come in. */
        EMITTED,
        /** The cycle stopped before its events were on Kafka; the next cycle repeats its work. */
        FAILED
    }

    /** A cycle's status as the administrator sees it. */
    public enum Status {
        /** Reading the source and emitting. */
        RUNNING,
        /** Emitted, waiting for results. */
        IN_PROGRESS,
        /** Every emitted event has its result. */
        COMPLETED,
        /** Failed before its events were on Kafka. */
        FAILED
    }

    /**
     * What a cycle's recorded results say.
     *
     * @param received every recorded result (a redelivered one counts once; a later outcome of an escrowed operation,
     *        which replaces the first, is not counted again)
     * @param operations the results that are not Skipped (something was asked of Druva)
     * @param failed the failures
     * @param managedUsersChanged whether a result added a user to what Druva holds for the job, or removed one
     */
    public record Results(long received, int operations, int failed, boolean managedUsersChanged) {

        public static final Results NONE = new Results(0, 0, 0, false);
    }

    /**
     * Complete: every event is on Kafka and each has its result. A failure is a result: an escrowed operation's
     * Failure (with when the writer retries it) completes its object, and its later outcome does not reopen the cycle.
     */
    public boolean complete() {
        return stage == Stage.EMITTED && results.received() >= eventsEmitted;
    }

    public Status status() {
        return switch (stage) {
            case RUNNING -> Status.RUNNING;
            case FAILED -> Status.FAILED;
            case EMITTED -> complete() ? Status.COMPLETED : Status.IN_PROGRESS;
        };
    }

    /** Results received per event emitted, 0 to 100; 100 for a complete cycle that emitted nothing. */
    public int progressPercent() {
        if (eventsEmitted == 0) {
            return complete() ? 100 : 0;
        }
        return (int) Math.min(100, results.received() * 100 / eventsEmitted);
    }

    /** Complete, and nobody has recorded that yet ({@link #finishedAt} is set once, by whoever gets there first). */
    public boolean completeButNotFinished() {
        return complete() && finishedAt == null;
    }

    /**
     * Whether this cycle holds the job's next one back: cycles do not overlap, as in Entra, but a cycle still waiting
     * for results longer than {@code resultsWait} after it emitted no longer holds the next one (every operation
     * yields a result within minutes, so that happens only when a service is down).
     */
    public boolean holdsBackNext(Instant now, Duration resultsWait) {
        return stage == Stage.EMITTED && !complete() && !emittedAt.isBefore(now.minus(resultsWait));
    }

    /** A stable event id for an object in a cycle, so a re-sent event is recognised downstream. */
    public static String eventId(String cycleId, String objectId) {
        return UUID.nameUUIDFromBytes((cycleId + "/" + objectId).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
