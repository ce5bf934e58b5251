package dev.provisioning.detector.config;

import static dev.provisioning.telemetry.SloHistograms.seconds;

import java.util.Set;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.config.MeterFilter;

import dev.provisioning.telemetry.SloHistograms;

/**
 * The change-detector's meters (Micrometer names; deploy/METRICS.md gives their Prometheus names, labels and meaning).
 * Every per-job meter is tagged {@link dev.provisioning.telemetry.MeterTags#PROVISIONING_JOB}.
 */
@Singleton
public class DetectorMeters {

    /** Counter: assignment events published, tagged {@code change}. */
    public static final String EVENTS_EMITTED = "provisioning.detector.events.emitted";
    /** Counter: results recorded (redeliveries not counted), tagged {@code action}, {@code status}. */
    public static final String RESULTS = "provisioning.detector.results";
    /** Counter: results carrying an error code, tagged {@code status}, {@code code}. */
    public static final String RESULTS_BY_CODE = "provisioning.detector.results.by.code";
    /** Timer: from a cycle's start to its last result. */
    public static final String CYCLE_DURATION = "provisioning.detector.cycle.duration";
    /** Timer: from a cycle's start until its events were acknowledged by Kafka. */
    public static final String CYCLE_EMIT_DURATION = "provisioning.detector.cycle.emit.duration";
    /** Counter: cycles that could not read the source. */
    public static final String CYCLES_FAILED = "provisioning.detector.cycles.failed";
    /** Counter (no job tag): stored job rows that could not be read. */
    public static final String JOBS_UNREADABLE = "provisioning.detector.jobs.unreadable";

    /** Gauge, 1: the job exists; tagged {@code job_name} (its display name), the only meter that carries it. */
    public static final String JOB_INFO = "provisioning.detector.job.info";
    /** Gauge: 1 when the job's provisioning status is On, 0 when Off. */
    public static final String JOB_ENABLED = "provisioning.detector.job.enabled";
    /** Gauge, percent: results received per event emitted of the job's latest cycle. */
    public static final String CYCLE_PROGRESS = "provisioning.detector.cycle.progress";
    /** Gauge, Unix seconds: when the latest cycle received its last result (before the first: job creation). */
    public static final String LAST_CYCLE_COMPLETED = "provisioning.detector.last.cycle.completed.timestamp";
    /** Gauge, seconds: the job's cycle interval. */
    public static final String CYCLE_INTERVAL = "provisioning.detector.cycle.interval";
    /** Gauge per quarantine reason ({@code reason}): 1 for the job's reason, else 0. */
    public static final String QUARANTINED = "provisioning.detector.quarantined";
    /** Gauge: disables and deletes held by the accidental-deletion threshold. */
    public static final String DELETIONS_HELD = "provisioning.detector.deletions.held";
    /** Gauge, Unix seconds: when the job's Druva token expires; absent while no token was set. */
    public static final String TOKEN_EXPIRY = "provisioning.detector.token.expiry.timestamp";

    /** Tag of {@link #JOB_INFO}: the job's display name. */
    public static final String JOB_NAME = "job_name";

    /**
     * The cycle histograms' buckets (seconds): a cycle of a few objects takes a second, a full cycle of a large tenant
     * at Druva's 25 requests/s hours.
     */
    @Produces
    @Singleton
    MeterFilter cycleBuckets() {
        return SloHistograms.timers(Set.of(CYCLE_DURATION, CYCLE_EMIT_DURATION),
                seconds(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600));
    }
}
