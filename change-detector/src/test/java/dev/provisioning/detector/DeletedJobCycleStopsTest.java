package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.tracing.TracedOneEventAtATime;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * Deleting a job stops its running cycle at once (issue 12, study 4(B)): the cycle sends no event after the
 * {@code DELETE} answered, except at most the {@code detector.emit-concurrency} sends already past their check (1
 * here), nothing is recorded for it (its rows are gone) and no error or "taken over" warning is logged; one INFO line
 * says where it stopped. The cycle emits one event at a time here, so that its 3,000 events take at least 15 s of the
 * producer's 5 ms linger alone: the test deletes the job after its first 50 events, and the cycle must be emitting
 * then (the total stays below half the source) for the test to pass. Tracing is on too: the profile is TracingTest's,
 * so that the application restarts once for both.
 */
@QuarkusTest
@TestProfile(TracedOneEventAtATime.class)
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class DeletedJobCycleStopsTest {

    static final int USERS = 3000;
    static final int EMIT_CONCURRENCY = TracedOneEventAtATime.EMIT_CONCURRENCY;
    static final int BEFORE_DELETE = 50;

    @Inject
    MeterRegistry registry;

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
    void deletingAJobStopsItsEmittingCycleBeforeItsNextEventAndRecordsNoFailure(@TempDir Path dir) throws Exception {
        try (LogCapture<Line> capture = LogCapture.start(r -> new Line(r.getLevel(), LogCapture.message(r)))) {
            List<Line> logs = capture.lines();
            Path file = dir.resolve("directory.json");
            Files.writeString(file, TestJobs.users(USERS, USERS));
            String jobId = create(job(file, "On", "delete-stops-token"));

            // the cycle is emitting
            List<ConsumerRecord<String, String>> before = kafka.read(Topics.ASSIGNMENTS, r -> ofJob(r, jobId),
                    BEFORE_DELETE, Waits.OUTCOME);
            assertThat(before).as("events of the cycle before the DELETE").hasSize(BEFORE_DELETE);

            given().delete("/jobs/" + jobId).then().statusCode(204);
            long deleteAnswered = Instant.now().toEpochMilli();

            Pattern stopped = Pattern.compile("job " + Pattern.quote(jobId)
                    + ": deleted during cycle \\S+, stopped after (\\d+) of " + USERS + " events");
            await().atMost(Waits.OUTCOME).until(() -> logs.stream().anyMatch(l -> stopped.matcher(l.text()).find()));

            // the cycle has ended (it logged so after its last send was acknowledged, one send at a time)
            List<ConsumerRecord<String, String>> all = kafka.readAll(Topics.ASSIGNMENTS, r -> ofJob(r, jobId));
            assertThat(all.stream().filter(r -> r.timestamp() > deleteAnswered).count())
                    .as("events sent after the DELETE answered").isLessThanOrEqualTo(EMIT_CONCURRENCY);
            assertThat(all.size()).as("events of the cycle, stopped while it emitted")
                    .isGreaterThanOrEqualTo(BEFORE_DELETE).isLessThan(USERS / 2);

            List<String> lines = logs.stream().map(Line::text).filter(t -> t.contains(jobId)).toList();
            assertThat(lines.stream().filter(t -> stopped.matcher(t).find())).as("the stop is logged once")
                    .hasSize(1);
            Matcher line = lines.stream().map(stopped::matcher).filter(Matcher::find).findFirst().orElseThrow();
            assertThat(Integer.parseInt(line.group(1))).as("the events it says it sent").isEqualTo(all.size());
            assertThat(logs.stream().filter(l -> l.level().intValue() >= Level.WARNING.intValue())
                    .map(Line::text).filter(t -> t.contains(jobId)))
                    .as("warnings and errors about the job ('taken over', an unrecorded failure)").isEmpty();
            // the job's meters are registered at 0 with the job (JobGauges)
            Counter failed = registry.find(DetectorMeters.CYCLES_FAILED).tag(PROVISIONING_JOB, jobId).counter();
            assertThat(failed == null ? 0 : failed.count()).as("failed cycles counted").isZero();
            given().get("/jobs/" + jobId).then().statusCode(404);
        }
    }

    private static boolean ofJob(ConsumerRecord<String, String> r, String jobId) {
        return r.key() != null && r.key().startsWith(jobId + "/");
    }

    /** A log line as it was published. */
    private record Line(Level level, String text) {
    }
}
