package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * A job whose cycles keep failing is quarantined with a reason and an email (issue 12, item 4), instead of staying
 * ACTIVE with only {@code lastError} set: after {@code detector.quarantine-after-failed-cycles} (3) failed cycles in a
 * row, as Entra quarantines a job whose calls consistently fail (application-provisioning-quarantine-status.md).
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class FailingCyclesQuarantineTest {

    static TopicClient kafka;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void threeFailedCyclesInARowQuarantineTheJobAndTellTheNotifierOnce(@TempDir Path dir) {
        String jobId = create(job(dir.resolve("missing.json"), "On", "failing-" + System.nanoTime()));

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("state", equalTo("QUARANTINED"))
                .body("quarantine.reason", equalTo("EncounteredQuarantineException"))
                .body("quarantine.detail", containsString("3 cycles in a row failed"))
                .body("quarantine.detail", containsString("does not exist"))
                .body("failedCyclesInARow", equalTo(3)));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(kafka.readAll(Topics.JOB_STATES,
                r -> jobId.equals(r.key())).stream().map(r -> EventChecks.jobState(r.value())).toList())
                .singleElement().satisfies(started -> {
                    assertThat(started.change()).isEqualTo(JobStateChange.QUARANTINE_STARTED);
                    assertThat(started.reasonCode()).isEqualTo("EncounteredQuarantineException");
                }));

        // Start lifts it and counts again from zero
        given().post("/jobs/" + jobId + "/start").then().statusCode(200).body("state", equalTo("ACTIVE"));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(kafka.readAll(Topics.JOB_STATES,
                r -> jobId.equals(r.key())).stream().map(r -> EventChecks.jobState(r.value()))
                .map(JobStateEvent::change).toList()).contains(JobStateChange.QUARANTINE_LIFTED));
    }
}
