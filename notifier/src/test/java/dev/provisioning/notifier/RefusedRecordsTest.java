package dev.provisioning.notifier;

import static dev.provisioning.notifier.NotifierTestSupport.address;
import static dev.provisioning.notifier.NotifierTestSupport.awaitKnown;
import static dev.provisioning.notifier.NotifierTestSupport.awaitOneMailTo;
import static dev.provisioning.notifier.NotifierTestSupport.failure;
import static dev.provisioning.notifier.NotifierTestSupport.kafka;
import static dev.provisioning.notifier.NotifierTestSupport.mailsTo;
import static dev.provisioning.notifier.NotifierTestSupport.metric;
import static dev.provisioning.notifier.NotifierTestSupport.newJob;
import static dev.provisioning.notifier.NotifierTestSupport.plainText;
import static dev.provisioning.notifier.NotifierTestSupport.publish;
import static dev.provisioning.notifier.NotifierTestSupport.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventKeys;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.notifier.config.NotifierStop;
import dev.provisioning.notifier.messaging.Channels;
import dev.provisioning.notifier.messaging.KnownJobs;
import dev.provisioning.notifier.messaging.ResultsConsumer;
import dev.provisioning.notifier.messaging.ResultsProgress;
import dev.provisioning.notifier.persistence.Outbox;

/**
 * One job's record that PostgreSQL refuses (an identifier longer than its column, a date outside its range) never
 * keeps another job's failures or emails out, and is not lost: it goes to the dead-letter topic with a reason naming
 * the job and the field. Against the real broker, PostgreSQL and SMTP server. Before, a poll's failures were stored in
 * one statement, which one refused row refused whole: retried half a minute, then every failure of the poll, every
 * job's, was dead-lettered and no digest went out; a refused job state event held its partition half a minute.
 */
@QuarkusTest
@QuarkusTestResource(value = OutageSmtpResource.class, initArgs = @ResourceArg(name = "database", value = "notifier"))
class RefusedRecordsTest {

    /** The quiet periods of this class's tests, waited out together once they ran. */
    static final QuietPeriods QUIET_PERIODS = new QuietPeriods();

    @AfterAll
    static void quietPeriods() {
        QUIET_PERIODS.await();
    }

    /** Before PostgreSQL's earliest timestamp (4713 BC). */
    static final Instant BEFORE_POSTGRESQL = Instant.parse("-5000-01-01T00:00:00Z");

    @Inject
    Pool pool;
    @Inject
    KnownJobs jobs;
    @Inject
    Outbox outbox;
    @Inject
    NotifierMetrics metrics;
    @Inject
    @Channel(Channels.RESULTS_DEAD_LETTERS)
    MutinyEmitter<String> deadLetters;

    /**
     * One poll (handed to the results consumer as Kafka would, so it is surely one poll) with failures of two jobs:
     * three of job A, three of job B of which one has an object id longer than {@code failure_outbox.object_id} (600
     * characters, SQLSTATE 22001) and one an {@code occurredAt} before PostgreSQL's range. A's three and B's good one
     * are stored and emailed in their jobs' digests; B's two refused ones are on {@code provisioning.results.dlq}, each
     * with a reason naming job B and the field. The same poll again (a redelivery) stores nothing twice: one digest
     * each, four rows.
     */
    @Test
    void aRefusedFailureIsDeadLetteredAloneAndTheOtherJobsFailuresAreStoredAndEmailed() throws Exception {
        String a = newJob(true);
        String b = newJob(true);
        awaitKnown(a);
        awaitKnown(b);
        ProvisioningResult tooLong = failureOf(b, "o".repeat(600), Instant.now());
        ProvisioningResult tooEarly = failureOf(b, "user-early", BEFORE_POSTGRESQL);
        List<ProvisioningResult> poll = List.of(
                failure(a, "user-a1", "Ann One", ErrorCodes.ENTRY_CONFLICT, "userName taken"), tooLong,
                failure(a, "user-a2", "Ann Two", ErrorCodes.ENTRY_CONFLICT, "userName taken"), tooEarly,
                failure(a, "user-a3", "Ann Three", ErrorCodes.ENTRY_CONFLICT, "userName taken"),
                failure(b, "user-b1", "Bob One", ErrorCodes.ENTRY_CONFLICT, "userName taken"));
        ResultsConsumer consumer = new ResultsConsumer(jobs, outbox, metrics, new ResultsProgress(), deadLetters,
                new NotifierStop(), null);

        ConsumerTask<String, String> dlq = deadLetterReader(Topics.RESULTS);
        try {
            consumer.onResults(records(poll)).await().atMost(Waits.OUTCOME);

            assertThat(rows(a)).isEqualTo(3);
            assertThat(rows(b)).isEqualTo(1);
            assertThat(metric("notifier_failures_stored_total", a)).isEqualTo(3.0);
            assertThat(metric("notifier_failures_stored_total", b)).isEqualTo(1.0);
            ConsumerRecord<String, String> longDead = awaitDeadLetter(dlq, key(tooLong));
            assertThat(longDead.value()).isEqualTo(Json.write(tooLong));
            assertThat(header(longDead, "dead-letter-reason")).isEqualTo("the outbox refused the failure of job " + b
                    + " (result " + tooLong.resultId() + "): field 'objectId' is 600 characters, more than "
                    + "failure_outbox.object_id holds (512) (SQLSTATE 22001: value too long for type character "
                    + "varying(512))");
            assertThat(header(awaitDeadLetter(dlq, key(tooEarly)), "dead-letter-reason")).isEqualTo(
                    "the outbox refused the failure of job " + b + " (result " + tooEarly.resultId()
                            + "): field 'occurredAt' -5000-01-01T00:00:00Z is outside PostgreSQL's timestamp range "
                            + "(-4713-11-24T00:00:00Z to +294276-12-31T23:59:59.999999Z)");
            // nothing else of the poll: no failure of job A, nor B's stored one
            await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING).until(() -> deadLettersOf(dlq, a, b).size() == 2);

            assertThat(plainText(awaitOneMailTo(a))).contains("Ann One", "Ann Two", "Ann Three");
            assertThat(plainText(awaitOneMailTo(b))).contains("Bob One").doesNotContain("user-early", "ooooo");

            // the poll redelivered (a crash before its offsets were committed): nothing stored twice
            consumer.onResults(records(poll)).await().atMost(Waits.OUTCOME);
            assertThat(rows(a)).isEqualTo(3);
            assertThat(rows(b)).isEqualTo(1);
            assertThat(metric("notifier_failures_deduplicated_total", a)).isEqualTo(3.0);
            assertThat(metric("notifier_failures_deduplicated_total", b)).isEqualTo(1.0);
            QUIET_PERIODS.keep("one digest each to " + a + " and " + b,
                    () -> mailsTo(a).size() == 1 && mailsTo(b).size() == 1);
        } finally {
            dlq.stop();
        }
    }

    /**
     * A job state event whose job name, reason code and reason hold a NUL character is stored (U+FFFD) and emailed; one
     * whose event id is longer than {@code state_outbox.event_id} and one dated before PostgreSQL's range are
     * dead-lettered at once with a reason naming the job and the field; the same job's next events, behind them on the
     * same partition (held deletions and the quarantine they start), are emailed, once.
     */
    @Test
    void aRefusedJobStateEventIsDeadLetteredWithItsReasonAndTheNextOnesAreEmailed() throws Exception {
        String nul = newJob(true);
        String refused = newJob(true);
        awaitKnown(nul);
        awaitKnown(refused);
        JobStateEvent withNul = new JobStateEvent(JobStateEvent.SCHEMA_VERSION, nul + "/QUARANTINE_STARTED/1", nul,
                "Dru\u0000va", JobStateChange.QUARANTINE_STARTED, "TooMany\u0000Failures", "every \u0000 failed", 0,
                "cycle-1", Instant.now());
        JobStateEvent longId = new JobStateEvent(JobStateEvent.SCHEMA_VERSION, refused + "/" + "e".repeat(1100),
                refused, "Druva", JobStateChange.TOKEN_REJECTED, "InvalidCredentials", "401", 0, "cycle-1",
                Instant.now());
        JobStateEvent tooEarly = new JobStateEvent(JobStateEvent.SCHEMA_VERSION, refused + "/TOKEN_EXPIRING/early",
                refused, "Druva", JobStateChange.TOKEN_EXPIRING, null, "expires", 0, "cycle-1", BEFORE_POSTGRESQL);

        ConsumerTask<String, String> dlq = deadLetterReader(Topics.JOB_STATES);
        try {
            publish(withNul, longId, tooEarly,
                    state(refused, JobStateChange.DELETIONS_HELD, "DeletionThresholdExceeded", 612),
                    state(refused, JobStateChange.QUARANTINE_STARTED, "DeletionThresholdExceeded", 612));

            assertThat(awaitOneMailTo(nul).getSubject())
                    .isEqualTo("[Provisioning] Druva (" + nul + "): quarantined — TooMany\uFFFDFailures");
            assertThat(stateText("job_name", nul)).isEqualTo("Dru\uFFFDva");
            assertThat(stateText("reason", nul)).isEqualTo("every \uFFFD failed");
            assertThat(awaitOneMailTo(refused).getSubject()).contains("612 deletions held");
            List<ConsumerRecord<String, String>> dead = await().atMost(Waits.OUTCOME)
                    .until(() -> deadLettersOf(dlq, refused), d -> d.size() == 2);
            // PostgreSQL's message comes through Hibernate Reactive, which words it its own way
            assertThat(dead).extracting(r -> header(r, "dead-letter-reason")).filteredOn(r -> r.contains("eventId"))
                    .singleElement().asString()
                    .startsWith("the state outbox refused job state event " + longId.eventId() + " of job " + refused
                            + ": field 'eventId' is " + longId.eventId().length() + " characters, more than "
                            + "state_outbox.event_id holds (1024) (SQLSTATE 22001: ")
                    .contains("value too long for type character varying(1024)");
            assertThat(dead).extracting(r -> header(r, "dead-letter-reason")).contains(
                    "the state outbox refused job state event " + tooEarly.eventId() + " of job " + refused
                            + ": field 'occurredAt' -5000-01-01T00:00:00Z is outside PostgreSQL's timestamp range "
                            + "(-4713-11-24T00:00:00Z to +294276-12-31T23:59:59.999999Z)");
            QUIET_PERIODS.keep("one email each to " + nul + " and " + refused,
                    () -> mailsTo(nul).size() == 1 && mailsTo(refused).size() == 1);
        } finally {
            dlq.stop();
        }
    }

    /**
     * A job whose name (from its configuration) holds a NUL character: its digest and its state email are each sent
     * once, and recorded with the subject's NUL replaced. Before, the transaction recording the sent email was refused
     * (SQLSTATE 22021) after the SMTP server had accepted it, so the email went out again on every tick.
     */
    @Test
    void emailsOfAJobWhoseNameHoldsANulCharacterAreSentOnceAndRecorded() throws Exception {
        String job = "job-" + UUID.randomUUID();
        JobConfig config = new JobConfig(JobConfig.SCHEMA_VERSION, job, "Dru\u0000va", JobState.ACTIVE,
                "https://apis.druva.com/insync/scim", null, address(job), true, null, true, null, null, false, null,
                null, null, null, 1, Instant.now());
        kafka().produceStrings().fromRecords(new ProducerRecord<>(Topics.JOBS, job, Json.write(config)))
                .awaitCompletion(Waits.OUTCOME);
        awaitKnown(job);

        publish(failure(job, "user-1", "Ann", ErrorCodes.ENTRY_CONFLICT, "userName taken"));
        await().atMost(Waits.OUTCOME).until(() -> mailsTo(job).size() == 1);
        publish(state(job, JobStateChange.TOKEN_EXPIRING, null, 0));
        await().atMost(Waits.OUTCOME).until(() -> mailsTo(job).size() == 2);

        QUIET_PERIODS.keep("each email to " + job + " once", () -> mailsTo(job).size() == 2);
        // recorded once the server accepted each email (the record follows the send)
        await().atMost(Waits.OUTCOME).untilAsserted(() -> {
            assertThat(text("SELECT subject FROM sent_notification WHERE job_id = $1", job)).contains("Dru\uFFFDva");
            assertThat(text("SELECT subject FROM state_outbox WHERE job_id = $1 AND state = 'SENT'", job))
                    .contains("Dru\uFFFDva");
        });
    }

    private static ProvisioningResult failureOf(String job, String objectId, Instant occurredAt) {
        // a short event id: only the field under test is too long
        String eventId = "event-" + UUID.randomUUID();
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(job, objectId, "cycle-1", eventId), job, "cycle-1", eventId, ObjectType.USER,
                objectId, null, "Refused " + objectId.length(), ProvisioningAction.Create, ProvisioningStatus.Failure,
                ErrorCodes.ENTRY_CONFLICT, "userName taken", null, 1, 12, List.of(), "mapper-service", occurredAt);
    }

    /** The results as one poll of partition 0, at offsets no real record of this test run has. */
    private static ConsumerRecords<String, String> records(List<ProvisioningResult> results) {
        long offset = 1_000_000_000L + (System.nanoTime() & 0xffffff) * 16;
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        for (ProvisioningResult r : results) {
            records.add(new ConsumerRecord<>(Topics.RESULTS, 0, offset++, key(r), Json.write(r)));
        }
        return new ConsumerRecords<>(Map.of(new TopicPartition(Topics.RESULTS, 0), records), Map.of());
    }

    private static String key(ProvisioningResult r) {
        return EventKeys.of(r.jobId(), r.objectId());
    }

    private static ConsumerTask<String, String> deadLetterReader(String topic) {
        return kafka().consumeStrings()
                .withGroupId("notifier-test-" + UUID.randomUUID())
                .withProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .fromTopics(Topics.deadLetter(topic));
    }

    private static ConsumerRecord<String, String> awaitDeadLetter(ConsumerTask<String, String> dlq, String key) {
        return await().atMost(Waits.OUTCOME).until(
                () -> dlq.getRecords().stream().filter(r -> key.equals(r.key())).findFirst().orElse(null),
                r -> r != null);
    }

    /** The dead letters of these jobs' records (a result's key starts with its job id; a job state's is the job id). */
    private static List<ConsumerRecord<String, String>> deadLettersOf(ConsumerTask<String, String> dlq,
            String... jobs) {
        return dlq.getRecords().stream().filter(r -> r.key() != null && List.of(jobs).stream()
                .anyMatch(job -> r.key().equals(job) || r.key().startsWith(job + "/"))).toList();
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private long rows(String job) {
        return pool.preparedQuery("SELECT count(*) FROM failure_outbox WHERE job_id = $1").execute(Tuple.of(job))
                .await().atMost(Waits.OUTCOME).iterator().next().getLong(0);
    }

    private String stateText(String column, String job) {
        return text("SELECT " + column + " FROM state_outbox WHERE job_id = $1", job);
    }

    private String text(String sql, String job) {
        return pool.preparedQuery(sql).execute(Tuple.of(job)).await().atMost(Waits.OUTCOME).iterator().next()
                .getString(0);
    }
}
