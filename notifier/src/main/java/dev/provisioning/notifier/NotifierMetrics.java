package dev.provisioning.notifier;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The notifier's metrics on {@code /q/metrics}, tagged by job and kind: emails sent and failed, failures stored and
 * deduplicated, and the failures waiting in the outbox.
 */
@ApplicationScoped
public class NotifierMetrics {

    /** The kind tag of failure digests. */
    public static final String FAILURE_DIGEST = "failure-digest";

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();

    public NotifierMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void emailSent(String jobId, String kind) {
        counter("notifier.emails.sent", jobId, kind).increment();
    }

    public void emailFailed(String jobId, String kind) {
        counter("notifier.emails.failed", jobId, kind).increment();
    }

    public void failureStored(String jobId) {
        counter("notifier.failures.stored", jobId, FAILURE_DIGEST).increment();
    }

    public void failureDeduplicated(String jobId) {
        counter("notifier.failures.deduplicated", jobId, FAILURE_DIGEST).increment();
    }

    public void failuresDropped(String jobId, int count) {
        counter("notifier.failures.dropped", jobId, FAILURE_DIGEST).increment(count);
    }

    /** Sets the outbox gauge of every job; jobs missing from {@code byJob} have nothing waiting. */
    public void pending(Map<String, Long> byJob) {
        byJob.keySet().forEach(this::pendingGauge);
        pending.forEach((job, value) -> value.set(byJob.getOrDefault(job, 0L)));
    }

    private AtomicLong pendingGauge(String jobId) {
        return pending.computeIfAbsent(jobId, job -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("notifier.outbox.pending", value, AtomicLong::get)
                    .description("Failures waiting in the outbox to be emailed")
                    .tag("job", job).tag("kind", FAILURE_DIGEST)
                    .register(registry);
            return value;
        });
    }

    private Counter counter(String name, String jobId, String kind) {
        return Counter.builder(name).tag("job", jobId).tag("kind", kind).register(registry);
    }
}
