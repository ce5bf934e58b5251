package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;

/** Records the writer cannot read go to the dead-letter topic with their reason; the writer keeps going. */
@QuarkusTest
class DeadLetterTest {

    /** Metrics are served on the management interface. */
    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;
    @TestHTTPResource(value = "/health", management = true)
    URL health;

    @Test
    void malformedOperationLandsOnTheDeadLetterTopicAndProcessingContinues() {
        String key = unique("job") + "/obj-bad";
        KafkaTopics.send(Topics.OPERATIONS, key, "{\"schemaVersion\":1,\"jobId\":\"x\"");

        var dead = KafkaTopics.awaitRecord(Topics.deadLetter(Topics.OPERATIONS), r -> key.equals(r.key()));
        Header reason = dead.headers().lastHeader("dead-letter-reason");
        assertThat(reason).isNotNull();
        assertThat(new String(reason.value(), StandardCharsets.UTF_8)).contains("ScimOperation");

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
}
