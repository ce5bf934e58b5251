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

    /**
     * A 401 from Druva: the detector tells TOKEN_REJECTED and then the QUARANTINE_STARTED (InvalidCredentials) it
     * causes. One email, the quarantine's, saying that Druva rejected the token and what to do; both events redelivered
     * send nothing more.
     */
    @Test
    void aRejectedTokenIsOneEmailTheQuarantinesWithWhatToDo() throws Exception {
        String job = newJob(true);
        JobStateEvent rejected = state(job, JobStateChange.TOKEN_REJECTED, "InvalidCredentials", 1);
        JobStateEvent quarantined = state(job, JobStateChange.QUARANTINE_STARTED, "InvalidCredentials", 1);
        publish(rejected, quarantined, rejected, quarantined);

        MimeMessage mail = awaitOneMailTo(job);

        assertThat(mail.getSubject()).isEqualTo(
                "[Provisioning] Druva (" + job + "): quarantined — InvalidCredentials (secret token rejected)");
        assertThat(plainText(mail)).contains("Druva rejected the secret token", "(HTTP 401)", "is in quarantine",
                "Reason code: InvalidCredentials", "generate a new Auth token", "Secret Token", "PUT /jobs/" + job,
                "Job status: https://provisioning.example.test/jobs/" + job + "/status");
        assertThat(htmlText(mail)).contains("<li>In Druva, generate a new Auth token",
                "href=\"https://provisioning.example.test/jobs/" + job + "/status\"");
        assertThat(mail.getHeader("Message-ID")).singleElement().asString()
                .matches("<state-[0-9a-f]{32}@notifier\\.provisioning>");
        // the rejection told by the quarantine's email, then both redeliveries recognised
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_deduplicated_total", job, "token") == 2.0
                && metric("notifier_emails_deduplicated_total", job, "quarantine") == 1.0
                && metric("notifier_emails_sent_total", job, "quarantine") == 1.0);
        assertThat(metric("notifier_emails_sent_total", job, "token")).isZero();
        QUIET_PERIODS.keep("no second email to " + job, () -> mailsTo(job).size() == 1);
    }

    @Test
    void aQuarantineIsEmailedOncePerReasonAndAgainWhenTheReasonChanges() throws Exception {
        String job = newJob(true);
        publish(state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0),
                state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0));
        awaitOneMailTo(job);
        await().atMost(Waits.OUTCOME)
                .until(() -> metric("notifier_emails_deduplicated_total", job, "quarantine") == 1.0);

        // a 401 while quarantined for another reason: the new reason's email, once, telling the rejected token
        publish(state(job, JobStateChange.TOKEN_REJECTED, "InvalidCredentials", 1),
                state(job, JobStateChange.QUARANTINE_STARTED, "InvalidCredentials", 1));

        await().atMost(Waits.OUTCOME).until(() -> mailsTo(job).size() == 2);
        QUIET_PERIODS.keep("no third email to " + job, () -> mailsTo(job).size() == 2);
        assertThat(subjects(mailsTo(job))).containsExactly(
                "[Provisioning] Druva (" + job + "): quarantined — TooManyFailures",
                "[Provisioning] Druva (" + job + "): quarantined — InvalidCredentials (secret token rejected)");
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
        JobStateEvent expiring = state(job, JobStateChange.TOKEN_EXPIRING, null, 0);
        publish(expiring);
        assertThat(awaitOneMailTo(job).getSubject())
                .isEqualTo("[Provisioning] Druva (" + job + "): secret token expires soon");

        publish(expiring);

        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_deduplicated_total", job, "token") == 1.0);
        QUIET_PERIODS.keep("no second email to " + job, () -> mailsTo(job).size() == 1);
        assertThat(metric("notifier_emails_sent_total", job, "token")).isEqualTo(1.0);
    }

    /**
     * A cycle over the deletion threshold: the detector tells DELETIONS_HELD and then the QUARANTINE_STARTED
     * (DeletionThresholdExceeded) it causes. One email, the quarantine's, with the count and how to allow or discard
     * them; redelivered, nothing more. A later cycle of the quarantined job that holds more tells DELETIONS_HELD alone:
     * its own email.
     */
    @Test
    void heldDeletionsAreOneEmailTheQuarantinesWithTheirCountAndHowToAllowThem() throws Exception {
        String job = newJob(true);
        JobStateEvent held = state(job, JobStateChange.DELETIONS_HELD, "DeletionThresholdExceeded", 612);
        JobStateEvent quarantined = state(job, JobStateChange.QUARANTINE_STARTED, "DeletionThresholdExceeded", 612);
        publish(held, quarantined, held, quarantined);

        MimeMessage mail = awaitOneMailTo(job);

        assertThat(mail.getSubject()).isEqualTo(
                "[Provisioning] Druva (" + job + "): quarantined — DeletionThresholdExceeded (612 deletions held)");
        assertThat(plainText(mail)).contains("holds 612 disables and deletes", "Nothing is deleted until you allow it",
                "is in quarantine", "Objects concerned: 612", "StagedDelete", "POST /jobs/" + job + "/allow-deletes",
                "POST /jobs/" + job + "/restart): a restart discards the held deletions");

        publish(state(job, JobStateChange.DELETIONS_HELD, "DeletionThresholdExceeded", 5));

        await().atMost(Waits.OUTCOME).until(() -> mailsTo(job).size() == 2);
        assertThat(mailsTo(job).get(1).getSubject())
                .isEqualTo("[Provisioning] Druva (" + job + "): 5 deletions held — accidental-deletion threshold");
        assertThat(plainText(mailsTo(job).get(1))).contains("holds 5 disables and deletes", "Objects concerned: 5",
                "POST /jobs/" + job + "/allow-deletes");
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_sent_total", job, "deletions") == 1.0
                && metric("notifier_emails_sent_total", job, "quarantine") == 1.0
                && metric("notifier_emails_deduplicated_total", job, "deletions") == 2.0);
        QUIET_PERIODS.keep("no third email to " + job, () -> mailsTo(job).size() == 2);
    }

    @Test
    void noStateEmailWhenTheJobDoesNotNotifyOnFailure() throws Exception {
        String job = newJob(false);
        publish(state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0),
                state(job, JobStateChange.DELETIONS_HELD, "DeletionThresholdExceeded", 600),
                state(job, JobStateChange.QUARANTINE_STARTED, "DeletionThresholdExceeded", 600));

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
        publish(state(refused, JobStateChange.TOKEN_EXPIRING, null, 0),
                state(other, JobStateChange.TOKEN_EXPIRING, null, 0));

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
