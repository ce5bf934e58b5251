package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.writer.Waits;

/**
 * Records the writer cannot read, or whose job is gone, go to the dead-letter topic with their reason and are counted
 * ({@code scim_writer_operations_dead_lettered_total}); the writer keeps going.
 */
@QuarkusTest
class DeadLetterTest {

    /** Metrics are served on the management interface. */
    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;
    @TestHTTPResource(value = "/health", management = true)
    URL health;

    @Test
    void malformedOperationLandsOnTheDeadLetterTopicAndProcessingContinues() {
        String badJob = unique("job");
        String key = badJob + "/obj-bad";
        KafkaTopics.send(Topics.OPERATIONS, key, "{\"schemaVersion\":1,\"jobId\":\"x\"");

        var dead = KafkaTopics.awaitRecord(Topics.deadLetter(Topics.OPERATIONS), r -> key.equals(r.key()));
        Header reason = dead.headers().lastHeader("dead-letter-reason");
        assertThat(reason).isNotNull();
        assertThat(new String(reason.value(), StandardCharsets.UTF_8)).contains("ScimOperation");
        // counted like every dead-lettered record, under its key's job; awaited: the scrape is another thread's read
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(RestAssured.get(metrics).asString())
                .contains(deadLettered(badJob, "Malformed") + " 1.0"));

        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String jobId = unique("job");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            ScimOperation op = Fixtures.upsert(jobId, "obj-kim", Fixtures.user("kim", "Kim", "Ok"));
            KafkaTopics.publishOperation(op);

            assertThat(KafkaTopics.awaitResult(resultId(op)).status()).isEqualTo(ProvisioningStatus.Success);
            String exposed = RestAssured.get(metrics).asString();
            assertThat(exposed).contains("scim_writer_results_total{action=\"Create\",provisioning_job=\"" + jobId
                    + "\",status=\"Success\"} 1.0");
            assertThat(exposed).contains("scim_writer_requests_total{method=\"POST\",provisioning_job=\"" + jobId
                    + "\",status=\"201\"} 1.0");
            // the latency histogram: by method only, the twelve SLO buckets of deploy/METRICS.md plus +Inf
            assertThat(exposed)
                    .contains("scim_writer_request_duration_seconds_count{method=\"POST\",provisioning_job=\""
                            + jobId + "\"} 1");
            assertThat(exposed.lines().filter(l -> l.startsWith("scim_writer_request_duration_seconds_bucket{")
                    && l.contains("\"" + jobId + "\"") && l.contains("method=\"POST\""))
                    .map(l -> l.replaceAll("^[^{]*\\{[^}]*le=\"([^\"]+)\".*", "$1")))
                    .containsExactly("0.025", "0.05", "0.1", "0.2", "0.3", "0.5", "0.75", "1.0", "2.5", "5.0", "10.0",
                            "30.0", "+Inf");
            assertThat(exposed.lines().filter(l -> l.startsWith("scim_writer_")))
                    .noneMatch(l -> l.contains("outcome=") || l.contains("{job=") || l.contains(",job="));
        }
    }

    @Test
    void operationWithoutARequiredFieldIsDeadLetteredWithTheFieldNamed() {
        String key = unique("job") + "/obj-nofield";
        KafkaTopics.send(Topics.OPERATIONS, key, "{\"schemaVersion\":1,\"operationId\":\"o\",\"jobId\":\"j\"}");

        var dead = KafkaTopics.awaitRecord(Topics.deadLetter(Topics.OPERATIONS), r -> key.equals(r.key()));

        assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                .contains("cycleId");
    }

    @Test
    void healthAndMetricsAreExposedOnTheManagementInterfaceOnly() {
        RestAssured.get(health).then().statusCode(200);
        RestAssured.get(metrics).then().statusCode(200);
        RestAssured.get("/q/health").then().statusCode(404);
        RestAssured.get("/q/metrics").then().statusCode(404);
    }

    /**
     * A job deleted while its operations are already in their lane (admitted while the job was known, behind an
     * operation of the same object that is being carried out): each is dead-lettered when its turn comes, with the
     * reason, and counted like those that waited for their job. Before, that path sent the dead letter directly, so
     * the counter and the log missed them.
     */
    @Test
    void aJobDeletedWhileItsOperationsAreInTheirLaneIsCountedAsDeadLettered() {
        // each request takes 4 s: the first operation (a page of users, then the create) keeps the object busy for 8 s
        // while the tombstone, sent as soon as all three are in the lane, is read (a read takes well under a second)
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN)
                .latency(Duration.ofSeconds(4)))) {
            String jobId = unique("job-deleted-in-lane");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            ScimOperation first = Fixtures.upsert(jobId, "obj-busy", Fixtures.user("busy", "Bu", "Sy"));
            List<ScimOperation> behind = List.of(
                    Fixtures.upsert(jobId, "obj-busy", Fixtures.user("busy", "Bu", "Sy2")),
                    Fixtures.upsert(jobId, "obj-busy", Fixtures.user("busy", "Bu", "Sy3")));
            KafkaTopics.publishOperation(first);
            behind.forEach(KafkaTopics::publishOperation);
            // all three are in the tenant's lane (taken, not waiting for their job) before the job is deleted
            await().atMost(Waits.OUTCOME).until(() -> {
                String exposed = RestAssured.get(metrics).asString();
                return gauge(exposed, "scim_writer_operations_in_progress")
                        - gauge(exposed, "scim_writer_operations_waiting_for_job") >= 3;
            });

            KafkaTopics.send(Topics.JOBS, jobId, null);

            for (ScimOperation op : behind) {
                var dead = KafkaTopics.awaitRecord(Topics.deadLetter(Topics.OPERATIONS),
                        r -> r.value().contains(op.operationId()));
                assertThat(dead.key()).isEqualTo(op.key());
                assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                        .isEqualTo("job " + jobId + " was deleted");
            }
            await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(RestAssured.get(metrics).asString())
                    .contains(deadLettered(jobId, "JobDeleted") + " 2.0"));
        }
    }

    private static String deadLettered(String jobId, String reason) {
        return "scim_writer_operations_dead_lettered_total{provisioning_job=\"" + jobId + "\",reason=\"" + reason
                + "\"}";
    }

    /** A gauge without tags from a Prometheus scrape. */
    private static double gauge(String exposed, String name) {
        return exposed.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim())).orElseThrow();
    }
}
