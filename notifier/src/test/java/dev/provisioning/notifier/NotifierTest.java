package dev.provisioning.notifier;

import static dev.provisioning.notifier.NotifierTestSupport.address;
import static dev.provisioning.notifier.NotifierTestSupport.awaitOneMailTo;
import static dev.provisioning.notifier.NotifierTestSupport.failure;
import static dev.provisioning.notifier.NotifierTestSupport.htmlText;
import static dev.provisioning.notifier.NotifierTestSupport.kafka;
import static dev.provisioning.notifier.NotifierTestSupport.mailsTo;
import static dev.provisioning.notifier.NotifierTestSupport.metric;
import static dev.provisioning.notifier.NotifierTestSupport.newJob;
import static dev.provisioning.notifier.NotifierTestSupport.plainText;
import static dev.provisioning.notifier.NotifierTestSupport.publish;
import static dev.provisioning.notifier.NotifierTestSupport.publishJob;
import static dev.provisioning.notifier.NotifierTestSupport.result;
import static io.restassured.RestAssured.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.mail.internet.MimeMessage;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResourceManager;
import io.quarkus.test.junit.QuarkusTest;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;

/**
 * The notifier against a real Kafka broker, PostgreSQL and SMTP server: what the administrator receives. Every test
 * uses its own job, because the broker and the mailbox are shared. The digest window is 3 s in the test profile.
 */
@QuarkusTest
@QuarkusTestResource(value = OutageSmtpResource.class, initArgs = @ResourceArg(name = "database", value = "notifier"))
class NotifierTest {

    /** The quiet periods of this class's tests, waited out together once they ran. */
    static final QuietPeriods QUIET_PERIODS = new QuietPeriods();

    @AfterAll
    static void quietPeriods() {
        QUIET_PERIODS.await();
    }

    @Test
    void failureIsEmailedToTheJobsAddressNamingTheObjectAndTheCode() throws Exception {
        String job = newJob(true);
        publish(failure(job, "user-1", "Ada Lovelace", ErrorCodes.MANDATORY_FIELDS_MISSING,
                "Druva requires an email address; the user has none"));

        MimeMessage mail = awaitOneMailTo(job);

        assertThat(mail.getSubject())
                .isEqualTo("[Provisioning] Druva (" + job + "): 1 failure (MandatoryFieldsMissing 1)");
        String text = plainText(mail);
        assertThat(text).contains("Ada Lovelace", "user-1", "Create", "MandatoryFieldsMissing",
                "Druva requires an email address");
        assertThat(mail.getHeader("Message-ID")).singleElement().asString()
                .matches("<digest-[0-9a-f]{32}@notifier\\.provisioning>");
        assertThat(mail.getFrom()[0].toString()).contains("provisioning@localhost");
        assertThat(htmlText(mail)).contains("<td>Ada Lovelace</td>", "<td>MandatoryFieldsMissing</td>");
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_sent_total", job) == 1.0);
    }

    @Test
    void healthIsUpWithKafkaAndPostgres() {
        get(java.net.URI.create(TestHTTPResourceManager.getManagementUri()).resolve("/q/health/ready").toString())
                .then().statusCode(200);
    }

    @Test
    void refusedEmailStaysPendingIsRetriedAndDoesNotHoldBackOtherJobs() throws Exception {
        String refused = "job-" + UUID.randomUUID();
        publishJob(refused, "not an address", true, 1);
        String other = newJob(true);
        publish(failure(refused, "user-r", "Refused User", ErrorCodes.ENTRY_CONFLICT, "taken"),
                failure(other, "user-o", "Other User", ErrorCodes.ENTRY_CONFLICT, "taken"));

        awaitOneMailTo(other);
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_failed_total", refused) >= 1.0);
        assertThat(metric("notifier_outbox_pending", refused)).isEqualTo(1.0);

        // the administrator fixes the address: the failure still waiting is sent on the next attempt
        publishJob(refused, address(refused), true, 2);

        MimeMessage mail = awaitOneMailTo(refused);
        assertThat(plainText(mail)).contains("Refused User");
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_outbox_pending", refused) == 0.0);
    }

    @Test
    void fiveHundredFailuresInOneWindowMakeOneEmailWithTheirCountsAndALinkToTheLogs() throws Exception {
        // The job's configuration is published only once all 500 failures are stored: a busy machine may take longer
        // than the test profile's 3 s window to store them, and a window that closes halfway rightly sends two
        // digests. A failure whose job is not known yet is stored and waits for it, so this is still one window.
        String job = "job-" + UUID.randomUUID();
        List<ProvisioningResult> results = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String code = i < 420
                    ? ErrorCodes.MANDATORY_FIELDS_MISSING
                    : i < 490 ? ErrorCodes.ENTRY_CONFLICT : ErrorCodes.DUPLICATE_TARGET_ENTRIES;
            results.add(failure(job, "user-" + i, "User " + i, code, "reason " + i));
        }
        publish(results.toArray(ProvisioningResult[]::new));
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_failures_stored_total", job) == 500.0);
        publishJob(job, address(job), true, 1);

        MimeMessage mail = awaitOneMailTo(job);
        QUIET_PERIODS.keep("one digest to " + job, () -> mailsTo(job).size() == 1);

        assertThat(mail.getSubject()).isEqualTo("[Provisioning] Druva (" + job
                + "): 500 failures (MandatoryFieldsMissing 420, EntryConflict 70, DuplicateTargetEntries 10)");
        String text = plainText(mail);
        assertThat(text).contains("MandatoryFieldsMissing: 420", "EntryConflict: 70", "DuplicateTargetEntries: 10",
                "(first 100 of 500)", "... and 400 more",
                "https://provisioning.example.test/jobs/" + job + "/logs?status=Failure");
        // the first 100 received are listed; which ones depends on how the burst spread over the partitions
        assertThat(text.lines().filter(l -> l.startsWith("  - User "))).hasSize(100).doesNotHaveDuplicates();
        assertThat(htmlText(mail)).contains("<td>420</td>",
                "href=\"https://provisioning.example.test/jobs/" + job + "/logs?status=Failure\"");
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_sent_total", job, "digest") == 1.0
                && metric("notifier_failures_stored_total", job) == 500.0
                && metric("notifier_outbox_pending", job, "digest") == 0.0);
    }

    @Test
    void redeliveredResultsSendNothingNew() throws Exception {
        String job = newJob(true);
        ProvisioningResult result = failure(job, "user-1", "Grace Hopper", ErrorCodes.ENTRY_CONFLICT, "taken");
        publish(result);
        awaitOneMailTo(job);

        publish(result);

        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_failures_deduplicated_total", job) == 1.0);
        QUIET_PERIODS.keep("no second email to " + job, () -> mailsTo(job).size() == 1);
    }

    @Test
    void noEmailWhenTheJobDoesNotNotifyOnFailure() throws Exception {
        String job = newJob(false);
        publish(failure(job, "user-1", "Alan Turing", ErrorCodes.MANDATORY_FIELDS_MISSING, "no email"));

        QUIET_PERIODS.keep("no email to " + job, () -> mailsTo(job).isEmpty());
    }

    @Test
    void successAndSkippedResultsAreNotEmailed() throws Exception {
        String job = newJob(true);
        publish(result(job, "user-ok", "Fine User", ProvisioningStatus.Success, null, null),
                result(job, "user-skip", "Skipped User", ProvisioningStatus.Skipped,
                        ErrorCodes.NOT_EFFECTIVELY_ENTITLED, "Default Access only"),
                failure(job, "user-bad", "Broken User", ErrorCodes.DUPLICATE_TARGET_ENTRIES, "two matches"));

        MimeMessage mail = awaitOneMailTo(job);

        assertThat(mail.getSubject()).contains("1 failure (DuplicateTargetEntries 1)");
        assertThat(plainText(mail)).contains("Broken User").doesNotContain("Fine User", "Skipped User");
    }

    @Test
    void malformedResultGoesToTheDeadLetterTopicAndTheServiceKeepsWorking() {
        String badKey = "malformed-" + UUID.randomUUID();
        kafka().produceStrings().fromRecords(new ProducerRecord<>(Topics.RESULTS, badKey, "{not json"))
                .awaitCompletion(Waits.OUTCOME);

        var dlq = kafka().consumeStrings()
                .withGroupId("notifier-test-" + UUID.randomUUID())
                .withProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .fromTopics(Topics.deadLetter(Topics.RESULTS));
        try {
            ConsumerRecord<String, String> dead = await().atMost(Waits.OUTCOME).until(
                    () -> dlq.getRecords().stream().filter(r -> badKey.equals(r.key())).findFirst().orElse(null),
                    r -> r != null);
            assertThat(dead.value()).isEqualTo("{not json");
            assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value()))
                    .contains("ProvisioningResult");
        } finally {
            dlq.stop();
        }

        String job = newJob(true);
        publish(failure(job, "user-1", "After The Storm", ErrorCodes.INVALID_ANCHOR, "gone"));
        awaitOneMailTo(job);
    }

    @Test
    void theNotifierHasNoHttpApiHealthAndMetricsAreOnTheManagementPortOnly() {
        for (String path : List.of("/q/health", "/q/health/ready", "/q/metrics", "/q/openapi", "/jobs")) {
            get(path).then().statusCode(404);
        }
        java.net.URI management = java.net.URI.create(TestHTTPResourceManager.getManagementUri());
        assertThat(management.getPort()).isNotEqualTo(io.restassured.RestAssured.port);
        get(management.resolve("/q/metrics").toString()).then().statusCode(200);
        get(management.resolve("/q/health/live").toString()).then().statusCode(200);
    }
}
