package dev.provisioning.detector.cycle;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness check {@value #NAME}: down while the results consumer ({@link ResultsConsumer}) keeps failing to judge a
 * job's results of a poll ({@value ResultsConsumer#JUDGE_ATTEMPTS} failed attempts or more: the database does not
 * answer), so that the poll stays unacked; up again once they are judged. Data when down: {@code jobs} (how many jobs
 * wait) and {@code since} (ISO-8601 instant, when the first of them reached the limit). No job ids, no result data.
 */
@Readiness
@ApplicationScoped
public class ResultsJudging implements HealthCheck {

    public static final String NAME = "results-judging";

    private final Map<String, Instant> stalled = new ConcurrentHashMap<>();

    /** The job's judging reached {@value ResultsConsumer#JUDGE_ATTEMPTS} failed attempts. */
    void stalled(String jobId) {
        stalled.putIfAbsent(jobId, Instant.now());
    }

    /** The job's results were judged after all. */
    void recovered(String jobId) {
        stalled.remove(jobId);
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME);
        if (stalled.isEmpty()) {
            return response.up().build();
        }
        Instant since = stalled.values().stream().min(Instant::compareTo).orElseThrow();
        return response.down().withData("jobs", stalled.size()).withData("since", since.toString()).build();
    }
}
