package dev.provisioning.writer.config;

import static dev.provisioning.telemetry.SloHistograms.seconds;

import java.util.Set;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.config.MeterFilter;

import dev.provisioning.telemetry.SloHistograms;

/**
 * The scim-writer's meters (Micrometer names; deploy/METRICS.md gives their Prometheus names, labels and meaning).
 * Every per-job meter is tagged {@link dev.provisioning.telemetry.MeterTags#PROVISIONING_JOB}.
 */
@Singleton
public class WriterMeters {

    /** Counter: SCIM requests sent to Druva (every attempt), tagged {@code method}, {@code status}. */
    public static final String REQUESTS = "scim.writer.requests";
    /** Timer: latency of each SCIM request attempt, tagged {@code method} only (status would multiply the series). */
    public static final String REQUEST_DURATION = "scim.writer.request.duration";
    /** Counter: attempts repeated after a transient failure, tagged {@code method}. */
    public static final String RETRIES = "scim.writer.retries";
    /** Counter: 429 answers. */
    public static final String THROTTLED = "scim.writer.throttled";
    /** Gauge: this replica's request rate limit towards the job's tenant (requests/s). */
    public static final String RATE_LIMIT = "scim.writer.rate.limit";
    /** Gauge: requests to the job's tenant in flight from this replica. */
    public static final String REQUESTS_IN_FLIGHT = "scim.writer.requests.in.flight";
    /** Counter: results emitted, tagged {@code action}, {@code status}. */
    public static final String RESULTS = "scim.writer.results";
    /** Counter: operations put into (or kept in) escrow. */
    public static final String ESCROW_ENTRIES = "scim.writer.escrow.entries";
    /** Counter: operations held while the job's token is rejected. */
    public static final String HELD_ENTRIES = "scim.writer.held.entries";
    /** Gauge (database): objects in escrow. */
    public static final String ESCROWED = "scim.writer.escrowed";
    /** Gauge (database): objects held while the job's token is rejected. */
    public static final String HELD = "scim.writer.held";
    /** Gauge (database): operations deferred until their tenant's lane has room. */
    public static final String DEFERRED = "scim.writer.deferred";
    /**
     * Counter (no job tag): deferred operations released as their tenant's lane drained, tagged {@link #RELEASE_PATH}:
     * {@link #RELEASED_TO_LANE} or {@link #RELEASED_THROUGH_KAFKA}.
     */
    public static final String DEFERRED_RELEASED = "scim.writer.deferred.released";
    /** The tag of {@link #DEFERRED_RELEASED}: how the released operations came back. */
    public static final String RELEASE_PATH = "path";
    /** Straight into the tenant's lane: this replica holds every partition of {@code provisioning.operations}. */
    public static final String RELEASED_TO_LANE = "lane";
    /** Republished on {@code provisioning.operations} under the object's key (several replicas). */
    public static final String RELEASED_THROUGH_KAFKA = "kafka";
    /** Counter (no job tag): idempotency records purged after their retention. */
    public static final String PROCESSED_PURGED = "scim.writer.processed.purged";
    /**
     * Counter: every operation record dead-lettered, tagged {@code provisioning_job} and {@code reason}:
     * {@code JobDeleted} (the job was deleted, whether the record waited for its job or was already in its lane),
     * {@code JobNeverConfigured}, or {@link #MALFORMED} (see {@link dev.provisioning.telemetry.DeadLetterTally}).
     */
    public static final String OPERATIONS_DEAD_LETTERED = "scim.writer.operations.dead.lettered";
    /**
     * The {@code reason} tag of {@link #OPERATIONS_DEAD_LETTERED} for a record that cannot be read as an operation; its
     * {@code provisioning_job} is its key's part before the first {@code /} (the key is {@code jobId/objectId}), or
     * {@code unknown} when it has no key.
     */
    public static final String MALFORMED = "Malformed";
    /** Counter: stored object states that could not be read, tagged {@code type}. */
    public static final String STATE_UNREADABLE = "scim.writer.state.unreadable";
    /** HTTP status tag when no answer came (timeout, connection refused, TLS failure). */
    public static final String NO_ANSWER = "none";

    /**
     * The SCIM request histogram's buckets (seconds): Druva answers in 50 to 800 ms; the read timeout is 30 s.
     */
    @Produces
    @Singleton
    MeterFilter requestBuckets() {
        return SloHistograms.timers(Set.of(REQUEST_DURATION),
                seconds(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30));
    }
}
