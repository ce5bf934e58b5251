package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.safety.JobGauges;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * One job row this version cannot read (a configuration that no longer parses: a scope an older or newer version
 * wrote; a quarantine reason it does not know) beside readable ones, on the real PostgreSQL. Before, every read of the
 * job rows mapped all of them or failed: {@code GET /jobs} answered 500 for everybody's jobs, and the job gauges lost
 * every job's series at once. Now each read handles such a row in the same way: {@code GET /jobs} answers 200, the
 * readable jobs as before and the unreadable one with its id, name, state and a problem naming the field;
 * {@code GET /jobs/{id}} and the job's other endpoints answer that problem (RFC 9457); the gauges keep the other jobs;
 * {@code DELETE} still deletes it. Never a secret in any of it.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class UnreadableJobRowTest {

    static final String TOKEN = "unreadable-row-token-" + System.nanoTime();

    @Inject
    Pool pool;
    @Inject
    JobGauges gauges;
    @Inject
    MeterRegistry registry;

    @Test
    void oneUnreadableJobRowIsShownByNameWhileTheOtherJobsAreListedRunAndMeasured(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(1, 1));
        Map<String, Object> request = job(file, "Off", TOKEN);
        request.put("name", "Unreadable config");
        String badConfig = create(request);
        request.put("name", "Unknown quarantine reason");
        String badReason = create(request);
        // their series are registered while they can be read
        gauges.refresh().await().atMost(Waits.OUTCOME);
        String ciphertext = pool.preparedQuery("SELECT config::jsonb #>> '{secretToken,ciphertext}' FROM job "
                + "WHERE id = $1").executeAndAwait(Tuple.of(badConfig)).iterator().next().getString(0);
        assertThat(ciphertext).isNotBlank();

        // a scope this version does not know, and a quarantine reason it does not know
        pool.preparedQuery("UPDATE job SET config = jsonb_set(config::jsonb, '{scope}', '\"EVERYONE_IN_2030\"')::text "
                + "WHERE id = $1").executeAndAwait(Tuple.of(badConfig));
        pool.preparedQuery("UPDATE job SET quarantine_reason = 'NoSuchReason' WHERE id = $1")
                .executeAndAwait(Tuple.of(badReason));
        request.put("name", "Readable");
        String good = create(request);
        double unreadableBefore = unreadableCount();
        try {
            String body = given().get("/jobs").then().statusCode(200).extract().asString();
            JsonPath jobs = JsonPath.from(body);
            // the readable job as always, without a problem member
            assertThat(jobs.getString("find { it.id == '" + good + "' }.tenantUrl"))
                    .isEqualTo("https://apis.druva.test/insync/scim");
            assertThat(jobs.getMap("find { it.id == '" + good + "' }")).doesNotContainKey("problem");
            // the unreadable ones by id, name, state and the field that cannot be read
            Map<String, Object> config = jobs.getMap("find { it.id == '" + badConfig + "' }");
            assertThat(config).containsEntry("name", "Unreadable config").containsEntry("state", "PAUSED")
                    .containsEntry("tenantUrl", null).containsEntry("secretTokenConfigured", null);
            assertThat(jobs.getInt("find { it.id == '" + badConfig + "' }.problem.status")).isEqualTo(500);
            assertThat(jobs.getString("find { it.id == '" + badConfig + "' }.problem.detail")).contains(badConfig);
            assertThat(jobs.getList("find { it.id == '" + badConfig + "' }.problem.errors.field"))
                    .containsExactly("config.scope");
            assertThat(jobs.getList("find { it.id == '" + badReason + "' }.problem.errors.field"))
                    .containsExactly("quarantine_reason");
            assertThat(jobs.getList("find { it.id == '" + badReason + "' }.problem.errors.message").get(0).toString())
                    .contains("is not a quarantine reason this version knows");
            assertThat(body).doesNotContain(TOKEN, ciphertext, "EVERYONE_IN_2030");

            // on its own: an RFC 9457 problem naming the job and the field, at every endpoint of the job
            for (String path : List.of("/jobs/" + badConfig, "/jobs/" + badConfig + "/status",
                    "/jobs/" + badConfig + "/token-expiry")) {
                String problem = given().get(path).then().statusCode(500)
                        .contentType("application/problem+json")
                        .body("detail", containsString("Job " + badConfig + " (Unreadable config) is stored in a "
                                + "form this version cannot read: its config.scope has a value this version cannot "
                                + "read as a ProvisioningScope"))
                        .body("errors[0].field", equalTo("config.scope"))
                        .body("errors[0].pointer", nullValue())
                        .extract().asString();
                assertThat(problem).as(path).doesNotContain(TOKEN, ciphertext, "EVERYONE_IN_2030");
            }
            given().post("/jobs/" + badReason + "/start").then().statusCode(500)
                    .body("errors[0].field", equalTo("quarantine_reason"));
            assertThat(unreadableCount()).as(DetectorMeters.JOBS_UNREADABLE).isGreaterThan(unreadableBefore);

            // the gauges: the readable job's are read, the unreadable jobs' series are kept (they were not deleted)
            gauges.refresh().await().atMost(Waits.OUTCOME);
            assertThat(registry.find(DetectorMeters.JOB_INFO).tag(PROVISIONING_JOB, good)
                    .tag(DetectorMeters.JOB_NAME, "Readable").gauge()).isNotNull();
            assertThat(registry.find(DetectorMeters.JOB_ENABLED).tag(PROVISIONING_JOB, good).gauge().value())
                    .isEqualTo(0);
            assertThat(registry.find(DetectorMeters.JOB_INFO).tag(PROVISIONING_JOB, badConfig).gauge()).isNotNull();
            assertThat(registry.find(DetectorMeters.JOB_INFO).tag(PROVISIONING_JOB, badReason).gauge()).isNotNull();

            // the operator's way out: the unreadable job is deleted, tombstone and audit entry included
            given().delete("/jobs/" + badReason).then().statusCode(204);
            given().get("/jobs/" + badReason).then().statusCode(404);
            assertThat(pool.preparedQuery("SELECT count(*) FROM job_outbox WHERE job_id = $1 AND payload IS NULL")
                    .executeAndAwait(Tuple.of(badReason)).iterator().next().getLong(0)).as("tombstone").isEqualTo(1);
            given().get("/jobs/" + badReason + "/audit").then().statusCode(200)
                    .body("entries[0].action", equalTo("delete"))
                    .body("entries[0].detail", containsString("quarantine_reason"));
            given().get("/jobs").then().statusCode(200).body("id", org.hamcrest.Matchers.not(
                    org.hamcrest.Matchers.hasItem(badReason)));
        } finally {
            given().delete("/jobs/" + badConfig);
            given().delete("/jobs/" + badReason);
            given().delete("/jobs/" + good);
        }
    }

    private double unreadableCount() {
        var counter = registry.find(DetectorMeters.JOBS_UNREADABLE).counter();
        return counter == null ? 0 : counter.count();
    }
}
