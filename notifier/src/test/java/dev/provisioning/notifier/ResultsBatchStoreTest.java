package dev.provisioning.notifier;

import static dev.provisioning.notifier.NotifierTestSupport.awaitKnown;
import static dev.provisioning.notifier.NotifierTestSupport.awaitOneMailTo;
import static dev.provisioning.notifier.NotifierTestSupport.failure;
import static dev.provisioning.notifier.NotifierTestSupport.kafka;
import static dev.provisioning.notifier.NotifierTestSupport.mailsTo;
import static dev.provisioning.notifier.NotifierTestSupport.metric;
import static dev.provisioning.notifier.NotifierTestSupport.newJob;
import static dev.provisioning.notifier.NotifierTestSupport.plainText;
import static dev.provisioning.notifier.NotifierTestSupport.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;
import jakarta.mail.internet.MimeMessage;

import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventKeys;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;

/**
 * The results consumer reads {@code provisioning.results} a poll at a time and stores a poll's failures in one
 * statement (issue 13, N1): a burst of 500 results, a few failures among them, some sent twice and one malformed
 * record, against the real broker, PostgreSQL and SMTP server. Whatever way the burst is split into polls, each wanted
 * failure is stored once, each repeat is counted as deduplicated, the malformed record is dead-lettered with its reason,
 * the job gets one digest, and the group's offsets are committed to the end of the topic (each poll acked once).
 */
@QuarkusTest
@QuarkusTestResource(value = OutageSmtpResource.class, initArgs = @ResourceArg(name = "database", value = "notifier"))
class ResultsBatchStoreTest {

    @Inject
    Pool pool;

    @Test
    void aBurstStoresEachWantedFailureOnceDeadLettersTheMalformedRecordAndSendsOneDigest() throws Exception {
        String emails = newJob(true);
        String silent = newJob(false);
        awaitKnown(emails);
        awaitKnown(silent);

        // 500 results of the two jobs, every 25th a Failure: 10 of each job; the others Success or Skipped
        List<ProvisioningResult> results = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String job = i % 2 == 0 ? emails : silent;
            String user = "user-" + i;
            if (i % 25 == 0) {
                results.add(failure(job, user, "Failed " + i, ErrorCodes.ENTRY_CONFLICT, "userName taken"));
            } else if (i % 7 == 0) {
                results.add(result(job, user, "Skipped " + i, ProvisioningStatus.Skipped,
                        ErrorCodes.NOT_EFFECTIVELY_ENTITLED, "Default Access only"));
            } else {
                results.add(result(job, user, "Fine " + i, ProvisioningStatus.Success, null, null));
            }
        }
        List<ProducerRecord<String, String>> burst = new ArrayList<>();
        results.forEach(r -> burst.add(record(r)));
        // three of the first job's failures sent twice (a redelivery), right behind and at the end of the burst
        burst.add(1, record(results.get(0)));
        burst.add(record(results.get(50)));
        burst.add(record(results.get(100)));
        // and one record without its job
        String badKey = "malformed-" + UUID.randomUUID();
        String malformed = Json.write(failure(emails, "user-bad", "No Job", ErrorCodes.ENTRY_CONFLICT, "taken"))
                .replace("\"jobId\":\"" + emails + "\",", "");
        assertThat(malformed).doesNotContain("\"jobId\"");
        burst.add(250, new ProducerRecord<>(Topics.RESULTS, badKey, malformed));
        assertThat(burst).hasSize(504);

        var dlq = kafka().consumeStrings()
                .withGroupId("notifier-test-" + UUID.randomUUID())
                .withProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .fromTopics(Topics.deadLetter(Topics.RESULTS));
        try {
            kafka().produceStrings().fromRecords(burst).awaitCompletion(Waits.OUTCOME);

            await().atMost(Waits.OUTCOME).until(() -> metric("notifier_failures_stored_total", emails) == 10.0
                    && metric("notifier_failures_deduplicated_total", emails) == 3.0);
            ConsumerRecord<String, String> dead = await().atMost(Waits.OUTCOME).until(
                    () -> dlq.getRecords().stream().filter(r -> badKey.equals(r.key())).findFirst().orElse(null),
                    r -> r != null);
            assertThat(dead.value()).isEqualTo(malformed);
            assertThat(header(dead, "dead-letter-reason")).isEqualTo("ProvisioningResult: field 'jobId' is required");
            assertThat(header(dead, "dead-letter-topic")).isEqualTo(Topics.RESULTS);
            assertThat(dlq.getRecords().stream().filter(r -> badKey.equals(r.key()))).hasSize(1);
        } finally {
            dlq.stop();
        }

        MimeMessage digest = awaitOneMailTo(emails);
        assertThat(digest.getSubject()).contains("10 failures (EntryConflict 10)");
        assertThat(plainText(digest)).contains("Failed 0", "Failed 450").doesNotContain("Failed 25 ", "No Job");

        assertThat(outboxRows(emails)).isEqualTo(10);
        assertThat(outboxRows(silent)).isZero();
        assertThat(metric("notifier_failures_stored_total", silent)).isZero();
        await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING)
                .until(() -> mailsTo(emails).size() == 1 && mailsTo(silent).isEmpty());
        assertThat(sentDigests(emails)).isEqualTo(1);
        assertThat(metric("notifier_failures_deduplicated_total", emails)).isEqualTo(3.0);
        // every poll was acked once all of it was handled: the group's commits reach the end of each partition
        await().atMost(Waits.OUTCOME).until(ResultsBatchStoreTest::committedToTheEnd);
    }

    /**
     * One job's bad text does not hold back another job's failures: a failure whose display name and reason hold a NUL
     * character (which PostgreSQL's text refuses, SQLSTATE 22021) and one whose display name is longer than its column
     * (22001) came in the same poll as another job's failure. Before, the poll's one statement was refused, retried
     * half a minute and every failure of the poll dead-lettered, so no job got its email. Now each is stored (the NUL
     * replaced by U+FFFD, the long name cut to its column) and each job gets its digest.
     */
    @Test
    void aFailureWithANulCharacterOrALongNameIsStoredAndTheOtherJobsFailuresToo() throws Exception {
        String nul = newJob(true);
        String other = newJob(true);
        String longName = newJob(true);
        awaitKnown(nul);
        awaitKnown(other);
        awaitKnown(longName);
        String name = "Long " + "n".repeat(2000);

        NotifierTestSupport.publish(
                failure(nul, "user-nul", "Ann\u0000Lee", ErrorCodes.ENTRY_CONFLICT, "userName ann\u0000 taken"),
                failure(other, "user-other", "Bob Other", ErrorCodes.ENTRY_CONFLICT, "userName taken"),
                failure(longName, "user-long", name, ErrorCodes.ENTRY_CONFLICT, "userName taken"));

        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_failures_stored_total", nul) == 1.0
                && metric("notifier_failures_stored_total", other) == 1.0
                && metric("notifier_failures_stored_total", longName) == 1.0);
        assertThat(outboxText("display_name", nul)).isEqualTo("Ann\uFFFDLee");
        assertThat(outboxText("reason", nul)).isEqualTo("userName ann\uFFFD taken");
        assertThat(outboxText("display_name", longName)).hasSize(1024).isEqualTo(name.substring(0, 1024));
        assertThat(plainText(awaitOneMailTo(nul))).contains("Ann\uFFFDLee");
        assertThat(plainText(awaitOneMailTo(other))).contains("Bob Other");
        assertThat(plainText(awaitOneMailTo(longName))).contains("Long nnn");
    }

    private String outboxText(String column, String job) {
        return pool.preparedQuery("SELECT " + column + " FROM failure_outbox WHERE job_id = $1")
                .execute(Tuple.of(job)).await().atMost(Waits.OUTCOME).iterator().next().getString(0);
    }

    /** True when group {@code notifier} committed every partition of the results topic up to its end offset. */
    private static boolean committedToTheEnd() {
        List<TopicPartition> partitions = kafka().topics().describe(Topics.RESULTS).get(Topics.RESULTS).partitions()
                .stream().map(p -> new TopicPartition(Topics.RESULTS, p.partition())).toList();
        Map<TopicPartition, OffsetAndMetadata> committed = kafka().consumerGroups().offsets("notifier", partitions);
        return partitions.stream().allMatch(tp -> {
            long end = kafka().offsets().get(tp, OffsetSpec.latest()).offset();
            OffsetAndMetadata at = committed.get(tp);
            return end == 0 || at != null && at.offset() == end;
        });
    }

    private static ProducerRecord<String, String> record(ProvisioningResult r) {
        return new ProducerRecord<>(Topics.RESULTS, EventKeys.of(r.jobId(), r.objectId()), Json.write(r));
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private long outboxRows(String job) {
        return count("SELECT count(*) FROM failure_outbox WHERE job_id = $1", job);
    }

    private long sentDigests(String job) {
        return count("SELECT count(*) FROM sent_notification WHERE job_id = $1", job);
    }

    private long count(String sql, String job) {
        return pool.preparedQuery(sql).execute(Tuple.of(job)).await().atMost(Waits.OUTCOME).iterator().next()
                .getLong(0);
    }
}
