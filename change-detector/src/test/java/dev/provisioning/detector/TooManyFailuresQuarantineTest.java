package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobState;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * Entra's TooManyFailures quarantine, end to end: thousands of results of one cycle on {@code provisioning.results},
 * and what the administrator and the notifier see. The cycle is recorded through the detector's own repository, as a
 * cycle that emitted that many events; its results are published in batches.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class TooManyFailuresQuarantineTest {

    static final String TOKEN = "failures-token-" + System.nanoTime();
    static TopicClient kafka;
    static KafkaProducer<String, String> producer;

    @Inject
    CycleRepository cycles;

    @BeforeAll
    static void connect() {
        String servers = LocalStackTestResource.stack().kafka().bootstrapServers();
        kafka = new TopicClient(servers);
        producer = TestJobs.batchingProducer(servers);
    }

    @AfterAll
    static void disconnect() {
        producer.close(Duration.ofSeconds(5));
        kafka.close();
    }

    @Test
    void fiveThousandFailuresQuarantineACycleOnlyOverFortyPercentOnceAndALaterCycleLiftsIt(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(0, 0));
        String jobId = create(job(file, "On", TOKEN));
        // the job's first (empty) cycle is done; the next ones wait for the cycle below, whose results are not all in
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("currentCycle.status", equalTo("COMPLETED")));
        String failing = cycle(jobId, 12_502);
        String marker = cycle(jobId, 100);

        // 7,500 successes, then 5,000 failures: 5,000 of 12,500 operations is 40 %, not over 40 %
        List<ProvisioningResult> successes = results(jobId, failing, "ok-", 0, 7_500, ProvisioningStatus.Success);
        publish(successes);
        awaitResults(jobId, failing, 7_500);
        List<ProvisioningResult> failures = results(jobId, failing, "ko-", 0, 5_000, ProvisioningStatus.Failure);
        publish(failures);
        awaitResults(jobId, failing, 12_500);
        passMarkers(jobId, marker, 1);
        given().get("/jobs/" + jobId + "/status").then().body("state", equalTo("ACTIVE"))
                .body("quarantine", nullValue())
                .body("recentCycles.find { it.cycleId == '" + failing + "' }.summary.failed", equalTo(5_000));
        assertThat(states(jobId)).isEmpty();

        // one failure more: 5,001 of 12,501 is over 40 %
        ProvisioningResult tipping = results(jobId, failing, "ko-", 5_000, 1, ProvisioningStatus.Failure).get(0);
        publish(List.of(tipping));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("state", equalTo("QUARANTINED"))
                .body("quarantine.reason", equalTo("TooManyFailures"))
                .body("quarantine.detail", containsString("5001 of 12501 operations")));
        String next = given().get("/jobs/" + jobId + "/status").then().extract().path("nextCycleAt");
        assertThat(OffsetDateTime.parse(next)).isAfter(OffsetDateTime.now().plusHours(23));
        await().atMost(Waits.OUTCOME).until(() -> lastConfigState(jobId) == JobState.QUARANTINED);

        // redelivered failures (the tipping one included) and the failing cycle's last result, a success that
        // arrives after the quarantine began, change nothing: the notifier hears of the quarantine once
        List<ProvisioningResult> redelivered = new ArrayList<>(failures);
        redelivered.add(tipping);
        publish(redelivered);
        publish(results(jobId, failing, "late-", 0, 1, ProvisioningStatus.Success));
        passMarkers(jobId, marker, 2);
        given().get("/jobs/" + jobId + "/status").then().body("quarantine.reason", equalTo("TooManyFailures"))
                .body("recentCycles.find { it.cycleId == '" + failing + "' }.resultsReceived", equalTo(12_502))
                .body("recentCycles.find { it.cycleId == '" + failing + "' }.summary.failed", equalTo(5_001));
        List<JobStateEvent> told = states(jobId);
        assertThat(told).singleElement().satisfies(started -> {
            assertThat(started.change()).isEqualTo(JobStateChange.QUARANTINE_STARTED);
            assertThat(started.reasonCode()).isEqualTo("TooManyFailures");
            assertThat(started.cycleId()).isEqualTo(failing);
            assertThat(started.count()).isEqualTo(5_001);
            assertThat(started.reason()).contains("5001 of 12501 operations");
        });

        // the next (daily) cycle: a success lifts the quarantine
        String later = cycle(jobId, 1);
        publish(results(jobId, later, "retry-", 0, 1, ProvisioningStatus.Success));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("state", equalTo("ACTIVE")).body("quarantine", nullValue()));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(states(jobId))
                .extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.QUARANTINE_STARTED, JobStateChange.QUARANTINE_LIFTED));
        JobStateEvent lifted = states(jobId).get(1);
        assertThat(lifted.reasonCode()).isEqualTo("TooManyFailures");
        assertThat(lifted.reason()).contains("a retry succeeded");
        assertThat(states(jobId)).extracting(JobStateEvent::eventId).doesNotHaveDuplicates();
        await().atMost(Waits.OUTCOME).until(() -> lastConfigState(jobId) == JobState.ACTIVE);

        // a failure of the old cycle redelivered after the lift does not quarantine the job again
        publish(List.of(tipping));
        passMarkers(jobId, marker, 3);
        given().get("/jobs/" + jobId + "/status").then().body("state", equalTo("ACTIVE"))
                .body("quarantine", nullValue());
        assertThat(states(jobId)).extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.QUARANTINE_STARTED, JobStateChange.QUARANTINE_LIFTED);
    }

    private String cycle(String jobId, int events) {
        return TestJobs.emittedCycle(cycles, jobId, events);
    }

    /** Results of users {@code prefix<from>..} in a cycle; failures are conflicts in Druva (409). */
    private static List<ProvisioningResult> results(String jobId, String cycleId, String prefix, int from, int count,
            ProvisioningStatus status) {
        boolean failed = status == ProvisioningStatus.Failure;
        List<ProvisioningResult> results = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String objectId = prefix + i;
            String eventId = Cycle.eventId(cycleId, objectId);
            results.add(new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                    ProvisioningResult.idOf(jobId, objectId, cycleId, eventId), jobId, cycleId, eventId,
                    ObjectType.USER, objectId, failed ? null : "druva-" + objectId, "User " + objectId,
                    ProvisioningAction.Create, status, failed ? ErrorCodes.ENTRY_CONFLICT : null,
                    failed ? "a user with this userName already exists" : null, failed ? 409 : 201, 1, 5, List.of(),
                    "test", Instant.now()));
        }
        return results;
    }

    /** Publishes results in batches and waits for the broker to have them all. */
    private static void publish(List<ProvisioningResult> results) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (ProvisioningResult r : results) {
            sent.add(producer.send(new ProducerRecord<>(Topics.RESULTS, r.key(), Json.write(r))));
        }
        producer.flush();
        for (Future<RecordMetadata> f : sent) {
            f.get(Waits.OUTCOME.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static void awaitResults(String jobId, String cycleId, int count) {
        await().atMost(Waits.BURST).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> given()
                .get("/jobs/" + jobId + "/status").then()
                .body("recentCycles.find { it.cycleId == '" + cycleId + "' }.resultsReceived", equalTo(count)));
    }

    /**
     * Sends a Skipped result (neither an operation nor a failure) of the marker cycle to every partition, and waits
     * until they are recorded: a partition's results are handled one after the other, so every result sent before has
     * been handled, the quarantine rules included.
     */
    private static void passMarkers(String jobId, String markerCycle, int round) throws Exception {
        int partitions = producer.partitionsFor(Topics.RESULTS).size();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            ProvisioningResult skipped = results(jobId, markerCycle, "marker-" + round + "-", p, 1,
                    ProvisioningStatus.Skipped).get(0);
            sent.add(producer.send(new ProducerRecord<>(Topics.RESULTS, p, skipped.key(), Json.write(skipped))));
        }
        producer.flush();
        for (Future<RecordMetadata> f : sent) {
            f.get(Waits.OUTCOME.toMillis(), TimeUnit.MILLISECONDS);
        }
        awaitResults(jobId, markerCycle, round * partitions);
    }

    private static List<JobStateEvent> states(String jobId) {
        return kafka.readAll(Topics.JOB_STATES, r -> jobId.equals(r.key())).stream()
                .map(r -> EventChecks.jobState(r.value())).toList();
    }

    private static JobState lastConfigState(String jobId) {
        var records = kafka.readAll(Topics.JOBS, r -> jobId.equals(r.key()));
        return EventChecks.job(records.get(records.size() - 1).value()).state();
    }
}
