package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.events.ScimOperation;

/**
 * The throughput benchmark (not part of {@code ./mvnw verify}: the class name does not end in Test). 5,000 new users
 * on an empty Druva-compatible server limited to 25 requests/s with 100 ms latency, through the real writer, Kafka and
 * PostgreSQL. Run it with the tenant budget at 25/s (the test profile otherwise uses 200/s):
 *
 * <pre>
 * ./mvnw -pl scim-writer -am verify -Dtest=WriterBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dwriter.rate-limit.per-second=25 -Dbenchmark.users=5000
 * </pre>
 *
 * It prints requests/s as a percentage of the limit, requests per created user and the total time.
 */
@QuarkusTest
class WriterBenchmark {

    @Test
    void provisionNewUsersAtTheTenantsRateLimit() {
        int users = Integer.getInteger("benchmark.users", 5000);
        double limit = 25;
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN)
                .rateLimitPerSecond(limit).latency(Duration.ofMillis(100)))) {
            String jobId = unique("bench");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                ScimOperation op = Fixtures.upsert(jobId, "b" + i, Fixtures.user("bench" + i, "Bench", "User" + i));
                KafkaTopics.publishOperation(op);
                expected.add(resultId(op));
            }
            KafkaTopics.awaitAllResults(expected, Duration.ofSeconds(users / 10 + 120));

            List<RecordedRequest> log = druva.requests();
            long created = druva.users().size();
            long throttled = log.stream().filter(r -> r.status() == 429).count();
            Duration span = Duration.between(log.get(0).timestamp(), log.get(log.size() - 1).timestamp());
            double perSecond = (log.size() - 1) / (span.toMillis() / 1000.0);
            String report = String.format("%nBENCHMARK users=%d created=%d requests=%d (429: %d) time=%.1f s "
                    + "rate=%.2f req/s = %.1f %% of %.0f/s, requests per created user=%.3f%n", users, created,
                    log.size(), throttled, span.toMillis() / 1000.0, perSecond, 100 * perSecond / limit, limit,
                    log.size() / (double) created);
            System.out.println(report);
            assertThat(created).isEqualTo(users);
        }
    }
}
