package dev.provisioning.detector.cycle;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness check {@value #NAME}: down while this replica's looks for due cycles ({@link CycleScheduler}) keep
 * failing ({@value #ATTEMPTS} failed attempts in a row or more: the database fails or does not answer the claim within
 * {@code detector.claim-wait}), so that no cycle starts here; up again at the first look that succeeds. Data
 * when down: {@code attempts} (failed looks in a row) and {@code since} (ISO-8601 instant, the first of them). No job
 * ids.
 */
@Readiness
@ApplicationScoped
public class CycleClaiming implements HealthCheck {

    public static final String NAME = "cycle-claiming";
    /** Failed looks in a row after which readiness is down. */
    public static final int ATTEMPTS = 3;

    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicReference<Instant> since = new AtomicReference<>();

    /**
     * A look failed.
     *
     * @return the failed looks in a row, this one included
     */
    int failed() {
        since.compareAndSet(null, Instant.now());
        return failed.incrementAndGet();
    }

    /**
     * A look succeeded.
     *
     * @return the failed looks in a row before it (0 when claiming was fine)
     */
    int succeeded() {
        int before = failed.getAndSet(0);
        since.set(null);
        return before;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME);
        int attempts = failed.get();
        Instant first = since.get();
        if (attempts < ATTEMPTS || first == null) {
            return response.up().build();
        }
        return response.down().withData("attempts", attempts).withData("since", first.toString()).build();
    }
}
