package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.persistence.Outbox;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.Json;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalPostgres;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * The one write path: a job's events are stored with it and published from the outbox afterwards; a job's cycle waits
 * until its configuration is published; what a stopped relay left is published by the next pass, in order.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class OutboxTest {

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
    void aJobsCycleWaitsUntilItsConfigurationIsPublished(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(2, 2));
        String jobId;
        try (Connection db = database(); Statement s = db.createStatement()) {
            // the relay cannot run (as if another replica held it up): the job is stored, nothing is published
            s.execute("SELECT pg_advisory_lock(" + Outbox.RELAY_LOCK + ")");
            jobId = create(job(file, "On", "outbox-token"));
            String id = jobId;
            await().during(Waits.QUIET).atMost(Waits.OUTCOME).until(() -> kafka.readAll(Topics.JOBS,
                    r -> id.equals(r.key())).isEmpty()
                    && given().get("/jobs/" + id + "/status").then().statusCode(200).extract()
                            .path("currentCycle") == null);
            assertThat(unsent(db, jobId)).isEqualTo(1);
            s.execute("SELECT pg_advisory_unlock(" + Outbox.RELAY_LOCK + ")");
        }

        // published, then the cycle runs
        assertThat(events(kafka, jobId, 2, e -> true)).extracting(e -> e.objectId()).containsExactlyInAnyOrder("u0",
                "u1");
        String id = jobId;
        assertThat(kafka.readAll(Topics.JOBS, r -> id.equals(r.key()))).isNotEmpty();
        try (Connection db = database()) {
            assertThat(unsent(db, jobId)).isZero();
        }
    }

    @Test
    void whatAStoppedRelayLeftIsPublishedByTheNextPassInOrder() throws Exception {
        String jobId = "outbox-" + UUID.randomUUID();
        List<String> eventIds = List.of(jobId + "/a", jobId + "/b", jobId + "/c");
        try (Connection db = database();
                PreparedStatement insert = db.prepareStatement(
                        "INSERT INTO job_outbox (job_id, kind, payload) VALUES (?, 'JOB_STATE', ?)")) {
            // stored by a save whose replica stopped before its relay ran: nothing wakes the relay but its schedule
            for (String eventId : eventIds) {
                insert.setString(1, jobId);
                insert.setString(2, Json.write(new JobStateEvent(JobStateEvent.SCHEMA_VERSION, eventId, jobId,
                        "Druva", JobStateChange.TOKEN_EXPIRING, "TokenExpiring", "test", 0, null, Instant.now())));
                insert.executeUpdate();
            }
        }

        List<String> published = kafka.read(Topics.JOB_STATES, r -> jobId.equals(r.key()), 3, Waits.OUTCOME).stream()
                .map(r -> EventChecks.jobState(r.value()).eventId()).toList();

        assertThat(published).containsExactlyElementsOf(eventIds);
        await().atMost(Waits.OUTCOME).until(() -> {
            try (Connection db = database()) {
                return unsent(db, jobId) == 0;
            }
        });
    }

    private static Connection database() throws SQLException {
        return DriverManager.getConnection(LocalStackTestResource.stack().postgres().jdbcUrl("change_detector"),
                LocalPostgres.USER, LocalPostgres.PASSWORD);
    }

    private static int unsent(Connection db, String jobId) throws SQLException {
        try (PreparedStatement s = db.prepareStatement(
                "SELECT count(*) FROM job_outbox WHERE job_id = ? AND sent_at IS NULL")) {
            s.setString(1, jobId);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }
}
