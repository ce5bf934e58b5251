package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.persistence.EscrowStore;

/**
 * What the writer does when a job's configuration never arrives within {@code writer.job-wait-timeout}: an operation
 * is answered with a Failure {@code JobConfigurationInvalid} and dead-lettered with the reason, however many there
 * are, and a connection test of the job is a 404. These tests wait the whole timeout, so they run with a short one
 * ({@link ShortJobWait}, 5 s instead of 30 s): the tests of every other class keep 30 s, since there a job that is
 * published does arrive, and a busy machine may take longer than a few seconds to read it.
 */
@QuarkusTest
@TestProfile(JobNeverArrivesTest.ShortJobWait.class)
class JobNeverArrivesTest {

    /** {@code writer.job-wait-timeout} in this class. */
    static final Duration JOB_WAIT = Duration.ofSeconds(5);

    /** A short wait for a job's configuration; every job these tests' operations name never arrives. */
    public static class ShortJobWait implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("writer.job-wait-timeout", JOB_WAIT.toSeconds() + "s");
        }
    }

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Inject
    EscrowStore escrows;

    /**
     * A deferred operation released from escrow goes straight into its tenant's lane, with no Kafka record; when its
     * job never arrives it is answered and dead-lettered like one read from the topic, with the key its record had
     * ({@code job/object}). It was dead-lettered with no key, so an operator could not tell which object it was.
     */
    @Test
    void aReleasedDeferredOperationWhoseJobNeverArrivesIsDeadLetteredWithItsObjectsKey() {
        ScimOperation op = Fixtures.upsert(unique("job-never-released"), "obj-rel",
                Fixtures.user("released", "Rel", "Eased"));
        Instant now = Instant.now();
        escrows.save(new Escrowed(Escrowed.idOf(op.jobId(), op.objectType().name(), op.objectId()), op.jobId(),
                op.objectId(), op.operationId(), Json.write(op), 0, now, now, null, null, EscrowState.DEFERRED, null,
                op.createdAt(), null, null, "https://never-released.example.com", null)).await().atMost(Waits.OUTCOME);

        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Failure);
        assertThat(result.errorCode()).isEqualTo("JobConfigurationInvalid");
        var dead = KafkaTopics.awaitRecord(Topics.deadLetter(Topics.OPERATIONS),
                r -> r.value() != null && r.value().contains(op.operationId()));
        assertThat(dead.key()).as("the dead letter's key").isEqualTo(op.key());
        assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                .isEqualTo("the configuration of job " + op.jobId() + " was not received within "
                        + JOB_WAIT.toSeconds() + " s");
    }

    @Test
    void anOperationWhoseJobNeverArrivesFailsWithJobConfigurationInvalid() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            // a job the writer knows, on its own server: nothing of the unknown job's operation reaches a tenant
            KafkaTopics.publishJob(Fixtures.job(unique("job"), druva.baseUrl()));
            ScimOperation op = Fixtures.upsert(unique("job-unknown"), "obj-max", Fixtures.user("max", "Max", "Null"));

            KafkaTopics.publishOperation(op);
            ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

            assertThat(result.status()).isEqualTo(ProvisioningStatus.Failure);
            assertThat(result.errorCode()).isEqualTo("JobConfigurationInvalid");
            assertThat(Sent.of(druva)).isEmpty();
            var dead = KafkaTopics.awaitRecord(Topics.deadLetter(Topics.OPERATIONS), r -> op.key().equals(r.key()));
            assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                    .isEqualTo("the configuration of job " + op.jobId() + " was not received within "
                            + JOB_WAIT.toSeconds() + " s");
        }
    }

    @Test
    void aJobTheWriterNeverReceivedIsA404ProblemAfterTheWait() {
        WriterApiTest.asService().body(Map.of("expectedRevision", 1))
                .post("/jobs/" + Fixtures.unique("nojob") + "/connection-test")
                .then().statusCode(404)
                .contentType("application/problem+json")
                .body("detail", containsString("has not received job"))
                .body("detail", containsString("within " + JOB_WAIT.toSeconds() + " s"));
    }

    /**
     * More operations of a never-configured job than the results emitter holds at once (its buffer of 128 plus the
     * Kafka sink's 1,024 in flight): when the wait ends, every one is still answered with exactly one Failure and
     * dead-lettered, and counted. Given up all at once, the Failures beyond the emitter's room failed (in the mapper,
     * 202 of 2,000 were dead-lettered without their Failure, so the detector's cycle waited for them for ever). A
     * record's Failure is acked before the record is dead-lettered, so once all are on the dead-letter topic every
     * Failure that will ever come is on the results topic. The records are twice {@code writer.lanes.max-records}
     * (2,000): they wait in two rounds, the second taken once the first is given up, each round waiting
     * {@code writer.job-wait-timeout}, hence the {@link Waits#BURST} ceiling.
     */
    @Test
    void everyOperationOfAJobThatNeverArrivesIsAnsweredAndDeadLetteredEvenBeyondTheResultsEmittersRoom() {
        String never = unique("job-never");
        int count = 4_000;
        List<ScimOperation> ops = IntStream.range(0, count)
                .mapToObj(i -> Fixtures.upsert(never, "obj-" + i, Fixtures.user("never" + i, "Ne", "Ver")))
                .toList();

        KafkaTopics.publishOperations(ops);

        // after writer.job-wait-timeout the 2,000 records of a round are given up together
        Set<String> dead = new HashSet<>();
        Awaitility.await().atMost(Waits.BURST).pollInterval(Duration.ofSeconds(1)).until(() -> {
            dead.clear();
            KafkaTopics.readAll(Topics.deadLetter(Topics.OPERATIONS)).stream()
                    .filter(r -> r.key().startsWith(never + "/")).forEach(r -> dead.add(r.key()));
            return dead.size() == count;
        });
        assertThat(dead).containsExactlyInAnyOrderElementsOf(ops.stream().map(ScimOperation::key).toList());
        List<ProvisioningResult> answers = KafkaTopics.readAll(Topics.RESULTS).stream()
                .map(r -> EventChecks.result(r.value())).filter(r -> r.jobId().equals(never)).toList();
        assertThat(answers).as("one Failure per operation").extracting(ProvisioningResult::resultId)
                .containsExactlyInAnyOrderElementsOf(ops.stream().map(Fixtures::resultId).toList());
        assertThat(answers).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ProvisioningStatus.Failure);
            assertThat(r.errorCode()).isEqualTo(ErrorCodes.JOB_CONFIGURATION);
        });
        Awaitility.await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(
                RestAssured.get(metrics).asString()).contains(
                        "scim_writer_operations_dead_lettered_total"
                                + "{provisioning_job=\"" + never + "\",reason=\"JobNeverConfigured\"} " + count
                                + ".0"));
    }
}
