package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

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
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalPostgres;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/** Log retention and the token expiry warning (housekeeping runs every 2 s in tests). */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class HousekeepingTest {

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
    void logRecordsOlderThanThirtyDaysArePurgedAndYoungerOnesKept(@TempDir Path dir) {
        String jobId = create(job(dir.resolve("d.json"), "Off", "retention-token"));
        send(jobId, "old-user", Instant.now().minus(31, ChronoUnit.DAYS));
        send(jobId, "recent-user", Instant.now().minus(29, ChronoUnit.DAYS));

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given()
                .get("/jobs/" + jobId + "/logs?since=2000-01-01T00:00:00Z").then().statusCode(200)
                .body("sourceId", equalTo(List.of("recent-user"))));
    }

    @Test
    void auditEntriesOlderThanTheLogRetentionArePurgedAndYoungerOnesKept(@TempDir Path dir) throws Exception {
        String jobId = create(job(dir.resolve("d.json"), "Off", "audit-retention-token"));
        given().post("/jobs/" + jobId + "/pause").then().statusCode(200);
        try (Connection db = DriverManager.getConnection(
                LocalStackTestResource.stack().postgres().jdbcUrl("change_detector"), LocalPostgres.USER,
                LocalPostgres.PASSWORD);
                PreparedStatement s = db.prepareStatement("UPDATE job_audit SET at = now() - interval '31 days' "
                        + "WHERE job_id = ? AND action = 'create'")) {
            s.setString(1, jobId);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/audit").then()
                .statusCode(200).body("entries.action", equalTo(List.of("pause"))));
    }

    @Test
    void anAgingTokenIsAnnouncedOnceBeforeItExpires(@TempDir Path dir) throws Exception {
        String jobId = create(job(dir.resolve("d.json"), "Off", "aging-token"));
        try (Connection db = DriverManager.getConnection(
                LocalStackTestResource.stack().postgres().jdbcUrl("change_detector"), LocalPostgres.USER,
                LocalPostgres.PASSWORD);
                PreparedStatement s = db.prepareStatement(
                        "UPDATE job SET token_set_at = now() - interval '340 days' WHERE id = ?")) {
            s.setString(1, jobId);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }

        await().atMost(Waits.OUTCOME).until(() -> !expiring(jobId).isEmpty());
        // and only once, though housekeeping keeps running
        await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING).until(() -> expiring(jobId).size() == 1);
        assertThat(expiring(jobId).get(0).reason()).contains("expires around");
    }

    private static List<JobStateEvent> expiring(String jobId) {
        return kafka.readAll(Topics.JOB_STATES, r -> jobId.equals(r.key())).stream()
                .map(r -> EventChecks.jobState(r.value())).filter(e -> e.change() == JobStateChange.TOKEN_EXPIRING)
                .toList();
    }

    private static void send(String jobId, String objectId, Instant occurredAt) {
        ProvisioningResult r = new ProvisioningResult(1, ProvisioningResult.idOf(jobId, objectId, "c-old", "e-1"),
                jobId, "c-old", "e-1", ObjectType.USER, objectId, "druva-1", objectId, ProvisioningAction.Update,
                ProvisioningStatus.Success, null, null, 200, 1, 3, List.of(), "test", occurredAt);
        kafka.send(Topics.RESULTS, r.key(), Json.write(r));
    }
}
