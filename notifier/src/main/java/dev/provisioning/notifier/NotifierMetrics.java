package dev.provisioning.notifier;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.provisioning.notifier.state.StateNoticeComposer;

/**
 * The notifier's metrics on {@code /q/metrics} (deploy/METRICS.md), tagged {@code provisioning_job} and {@code kind}
 * ({@code digest}, {@code quarantine}, {@code deletions}, {@code token}): emails sent, deduplicated, failed (each
 * refused attempt) and dropped (given up after permanent refusals), failures stored, and what waits in the outbox.
 * Once a job is known, its email counters and outbox gauges are reported for every kind, at 0 until something happens:
 * the alert on failing emails computes an {@code increase}, which a series born at 1 would not show. A deleted job's
 * series are removed.
 */
@ApplicationScoped
public class NotifierMetrics {

    /** The kind tag of failure digests. */
    public static final String DIGEST = "digest";
    /** Every kind of email, the value set of the {@code kind} tag. */
    public static final List<String> KINDS = List.of(DIGEST, StateNoticeComposer.QUARANTINE,
            StateNoticeComposer.DELETIONS, StateNoticeComposer.TOKEN);
    private static final List<String> EMAIL_COUNTERS = List.of("notifier.emails.sent", "notifier.emails.deduplicated",
            "notifier.emails.failed", "notifier.emails.dropped");

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();

    public NotifierMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A job's configuration arrived: its email counters and outbox gauges are reported from now on. */
    public void jobKnown(String jobId) {
        for (String kind : KINDS) {
            EMAIL_COUNTERS.forEach(name -> counter(name, jobId, kind));
            pendingGauge(jobId, kind);
        }
    }

    /** The job was deleted: none of its series is reported any more. */
    public void jobDeleted(String jobId) {
        KINDS.forEach(kind -> pending.remove(jobId + "/" + kind));
        List<Meter> meters = registry.getMeters().stream()
                .filter(m -> jobId.equals(m.getId().getTag(PROVISIONING_JOB))).toList();
        meters.forEach(registry::remove);
    }

    public void emailSent(String jobId, String kind) {
        counter("notifier.emails.sent", jobId, kind).increment();
    }

    /** One refused or failed SMTP attempt; the email stays in the outbox (or is dropped, see {@link #emailDropped}). */
    public void emailFailed(String jobId, String kind) {
        counter("notifier.emails.failed", jobId, kind).increment();
    }

    /** An email given up after permanent SMTP refusals. */
    public void emailDropped(String jobId, String kind) {
        counter("notifier.emails.dropped", jobId, kind).increment();
    }

    /**
     * A record recognised as already handled, so no email is sent for it: a redelivered failure or job state event,
     * a quarantine start for the reason already emailed, or a rejected token or held deletions told by the email of
     * the quarantine they start.
     */
    public void emailDeduplicated(String jobId, String kind) {
        counter("notifier.emails.deduplicated", jobId, kind).increment();
    }

    public void failureStored(String jobId) {
        failures("notifier.failures.stored", jobId).increment();
    }

    public void failureDeduplicated(String jobId) {
        failures("notifier.failures.deduplicated", jobId).increment();
        emailDeduplicated(jobId, DIGEST);
    }

    public void failuresDropped(String jobId, int count) {
        failures("notifier.failures.dropped", jobId).increment(count);
    }

    /**
     * Sets the outbox gauges of one kind (for digests: failures waiting; for job state kinds: emails waiting); jobs
     * missing from {@code byJob} have nothing of that kind waiting.
     */
    public void pending(String kind, Map<String, Long> byJob) {
        byJob.keySet().forEach(job -> pendingGauge(job, kind));
        String suffix = "/" + kind;
        pending.forEach((key, value) -> {
            if (key.endsWith(suffix)) {
                value.set(byJob.getOrDefault(key.substring(0, key.length() - suffix.length()), 0L));
            }
        });
    }

    private AtomicLong pendingGauge(String jobId, String kind) {
        return pending.computeIfAbsent(jobId + "/" + kind, key -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("notifier.outbox.pending", value, AtomicLong::get)
                    .description("Failures (digest) or emails (other kinds) waiting in the outbox")
                    .tag(PROVISIONING_JOB, jobId).tag("kind", kind)
                    .register(registry);
            return value;
        });
    }

    /** Failures of a job's digests (no {@code kind} tag: failures are always the digest's). */
    private Counter failures(String name, String jobId) {
        return Counter.builder(name).tag(PROVISIONING_JOB, jobId).register(registry);
    }

    private Counter counter(String name, String jobId, String kind) {
        return Counter.builder(name).tag(PROVISIONING_JOB, jobId).tag("kind", kind).register(registry);
    }
}
