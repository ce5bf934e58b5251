package dev.provisioning.notifier;

import static dev.provisioning.notifier.NotifierTestSupport.awaitOneMailTo;
import static dev.provisioning.notifier.NotifierTestSupport.htmlText;
import static dev.provisioning.notifier.NotifierTestSupport.kafka;
import static dev.provisioning.notifier.NotifierTestSupport.mailsTo;
import static dev.provisioning.notifier.NotifierTestSupport.metric;
import static dev.provisioning.notifier.NotifierTestSupport.newJob;
import static dev.provisioning.notifier.NotifierTestSupport.plainText;
import static dev.provisioning.notifier.NotifierTestSupport.publish;
import static dev.provisioning.notifier.NotifierTestSupport.publishJob;
import static dev.provisioning.notifier.NotifierTestSupport.state;
import static dev.provisioning.notifier.NotifierTestSupport.subjects;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.UUID;

import jakarta.mail.internet.MimeMessage;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.Topics;

/**
 * Job state emails (quarantine, held deletions, secret token) against a real Kafka broker, PostgreSQL and SMTP server:
 * what the administrator receives, once per event and once per quarantine reason.
 */
@QuarkusTest
@QuarkusTestResource(value = OutageSmtpResource.class, initArgs = @ResourceArg(name = "database", value = "notifier"))
class JobStateNotificationsTest {

    /** The quiet periods of this class's tests, waited out together once they ran. */
    static final QuietPeriods QUIET_PERIODS = new QuietPeriods();

    @AfterAll
    static void quietPeriods() {
        QUIET_PERIODS.await();
    }

    @Test
    void quarantineIsEmailedWithTheReasonCodeAndWhatToDo() throws Exception {
        String job = newJob(true);
        publish(state(job, JobStateChange.QUARANTINE_STARTED, "InvalidCredentials", 0));

        MimeMessage mail = awaitOneMailTo(job);

        assertThat(mail.getSubject()).isEqualTo("[Provisioning] Druva (" + job + "): quarantined — InvalidCredentials");
        assertThat(plainText(mail)).contains("is in quarantine", "Reason code: InvalidCredentials",
                "generate a new Auth token", "Secret Token", "PUT /jobs/" + job,
                "Job status: https://provisioning.example.test/jobs/" + job + "/status");
        assertThat(htmlText(mail)).contains("<li>In Druva, generate a new Auth token",
                "href=\"https://provisioning.example.test/jobs/" + job + "/status\"");
        assertThat(mail.getHeader("Message-ID")).singleElement().asString()
                .matches("<state-[0-9a-f]{32}@notifier\\.provisioning>");
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_sent_total", job, "quarantine") == 1.0);
    }

    @Test
    void aQuarantineIsEmailedOncePerReasonAndAgainWhenTheReasonChanges() throws Exception {
        String job = newJob(true);
        publish(state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0),
                state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0));
        awaitOneMailTo(job);
        await().atMost(Waits.OUTCOME)
                .until(() -> metric("notifier_emails_deduplicated_total", job, "quarantine") == 1.0);

        publish(state(job, JobStateChange.QUARANTINE_STARTED, "InvalidCredentials", 0));

        await().atMost(Waits.OUTCOME).until(() -> mailsTo(job).size() == 2);
        QUIET_PERIODS.keep("no third email to " + job, () -> mailsTo(job).size() == 2);
        assertThat(subjects(mailsTo(job))).containsExactly(
                "[Provisioning] Druva (" + job + "): quarantined — TooManyFailures",
                "[Provisioning] Druva (" + job + "): quarantined — InvalidCredentials");
    }

    @Test
    void afterTheQuarantineIsLiftedTheSameReasonIsEmailedAgain() throws Exception {
        String job = newJob(true);
        publish(state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0),
                state(job, JobStateChange.QUARANTINE_LIFTED, null, 0),
                state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0));

        await().atMost(Waits.OUTCOME).until(() -> mailsTo(job).size() == 3);
        QUIET_PERIODS.keep("no fourth email to " + job, () -> mailsTo(job).size() == 3);
        assertThat(subjects(mailsTo(job))).containsExactly(
                "[Provisioning] Druva (" + job + "): quarantined — TooManyFailures",
                "[Provisioning] Druva (" + job + "): quarantine lifted",
                "[Provisioning] Druva (" + job + "): quarantined — TooManyFailures");
    }

    @Test
    void aRedeliveredEventSendsNothingNew() throws Exception {
        String job = newJob(true);
        JobStateEvent rejected = state(job, JobStateChange.TOKEN_REJECTED, "InvalidCredentials", 0);
        publish(rejected);
        awaitOneMailTo(job);

        publish(rejected);

        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_deduplicated_total", job, "token") == 1.0);
        QUIET_PERIODS.keep("no second email to " + job, () -> mailsTo(job).size() == 1);
    }

    @Test
    void heldDeletionsAreEmailedWithTheirCountAndHowToAllowThem() throws Exception {
        String job = newJob(true);
        publish(state(job, JobStateChange.DELETIONS_HELD, "DeletionThresholdExceeded", 612));

        MimeMessage mail = awaitOneMailTo(job);

        assertThat(mail.getSubject())
                .isEqualTo("[Provisioning] Druva (" + job + "): 612 deletions held — accidental-deletion threshold");
        assertThat(plainText(mail)).contains("holds 612 disables and deletes", "Objects concerned: 612",
                "POST /jobs/" + job + "/allow-deletes", "StagedDelete");
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_sent_total", job, "deletions") == 1.0);
    }

    @Test
    void rejectedAndExpiringTokensAreEmailed() {
        String job = newJob(true);
        publish(state(job, JobStateChange.TOKEN_REJECTED, "InvalidCredentials", 0),
                state(job, JobStateChange.TOKEN_EXPIRING, null, 0));

        await().atMost(Waits.OUTCOME).until(() -> mailsTo(job).size() == 2);
        assertThat(subjects(mailsTo(job))).containsExactly(
                "[Provisioning] Druva (" + job + "): secret token rejected (401)",
                "[Provisioning] Druva (" + job + "): secret token expires soon");
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_sent_total", job, "token") == 2.0);
    }

    @Test
    void noStateEmailWhenTheJobDoesNotNotifyOnFailure() throws Exception {
        String job = newJob(false);
        publish(state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0),
                state(job, JobStateChange.DELETIONS_HELD, "DeletionThresholdExceeded", 600));

        QUIET_PERIODS.keep("no email to " + job + " and none pending",
                () -> mailsTo(job).isEmpty() && metric("notifier_outbox_pending", job) == 0.0);
    }

    @Test
    void aPermanentlyRefusedEmailIsGivenUpCountedAndDoesNotHoldBackOtherJobs() {
        String refused = "job-" + UUID.randomUUID();
        // the mailer refuses an invalid address before SMTP: permanent, like a 5xx reply (the detector refuses such
        // addresses when the job is saved; this one comes straight from the topic)
        publishJob(refused, "<@>", true, 1);
        String other = newJob(true);
        publish(state(refused, JobStateChange.TOKEN_REJECTED, "InvalidCredentials", 0),
                state(other, JobStateChange.TOKEN_REJECTED, "InvalidCredentials", 0));

        awaitOneMailTo(other);
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_dropped_total", refused, "token") == 1.0);
        // notifier.permanent-failure-attempts (default 5) attempts, then given up
        assertThat(metric("notifier_emails_failed_total", refused, "token")).isEqualTo(5.0);
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_outbox_pending", refused, "token") == 0.0);
    }

    @Test
    void malformedJobStateGoesToTheDeadLetterTopicAndTheServiceKeepsWorking() {
        String badKey = "malformed-" + UUID.randomUUID();
        kafka().produceStrings().fromRecords(new ProducerRecord<>(Topics.JOB_STATES, badKey, "{\"schemaVersion\":1}"))
                .awaitCompletion(Waits.OUTCOME);

        var dlq = kafka().consumeStrings()
                .withGroupId("notifier-test-" + UUID.randomUUID())
                .withProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .fromTopics(Topics.deadLetter(Topics.JOB_STATES));
        try {
            ConsumerRecord<String, String> dead = await().atMost(Waits.OUTCOME).until(
                    () -> dlq.getRecords().stream().filter(r -> badKey.equals(r.key())).findFirst().orElse(null),
                    r -> r != null);
            assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value()))
                    .contains("JobStateEvent");
        } finally {
            dlq.stop();
        }

        String job = newJob(true);
        publish(state(job, JobStateChange.QUARANTINE_LIFTED, null, 0));
        awaitOneMailTo(job);
    }
}
