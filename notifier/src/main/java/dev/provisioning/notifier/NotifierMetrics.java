package dev.provisioning.notifier;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The notifier's metrics on {@code /q/metrics}, tagged by job and kind ({@code digest}, {@code quarantine},
 * {@code deletions}, {@code token}): emails sent, deduplicated, failed (each refused attempt) and dropped (given up
 * after permanent refusals), failures stored, and what waits in the outbox.
 */
@ApplicationScoped
public class NotifierMetrics {

    /** The kind tag of failure digests. */
    public static final String DIGEST = "digest";

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();

    public NotifierMetrics(MeterRegistry registry) {
        this.registry = registry;
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
     * or a quarantine start for the reason already emailed.
     */
    public void emailDeduplicated(String jobId, String kind) {
        counter("notifier.emails.deduplicated", jobId, kind).increment();
    }

    public void failureStored(String jobId) {
        counter("notifier.failures.stored", jobId, DIGEST).increment();
    }

    public void failureDeduplicated(String jobId) {
        counter("notifier.failures.deduplicated", jobId, DIGEST).increment();
        emailDeduplicated(jobId, DIGEST);
    }

    public void failuresDropped(String jobId, int count) {
        counter("notifier.failures.dropped", jobId, DIGEST).increment(count);
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
                    .tag("job", jobId).tag("kind", kind)
                    .register(registry);
            return value;
        });
    }

    private Counter counter(String name, String jobId, String kind) {
        return Counter.builder(name).tag("job", jobId).tag("kind", kind).register(registry);
    }
}
