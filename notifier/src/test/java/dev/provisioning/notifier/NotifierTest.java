package dev.provisioning.notifier;

import static io.restassured.RestAssured.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventKeys;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * The notifier against a real Kafka broker, PostgreSQL and SMTP server: what the administrator receives. Every test
 * uses its own job, because the broker and the mailbox are shared. The digest window is 3 s in the test profile.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "notifier"))
class NotifierTest {

    /** Long enough for a window to close and the sender to run twice. */
    private static final Duration QUIET = Duration.ofSeconds(5);
    private static final Duration EMAIL_TIMEOUT = Duration.ofSeconds(30);

    private static KafkaCompanion kafka;

    @BeforeAll
    static void connect() {
        kafka = new KafkaCompanion(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
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
        await().atMost(EMAIL_TIMEOUT).until(() -> metric("notifier_emails_sent_total", job) == 1.0);
    }

    @Test
    void healthIsUpWithKafkaAndPostgres() {
        get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void refusedEmailStaysPendingIsRetriedAndDoesNotHoldBackOtherJobs() throws Exception {
        String refused = "job-" + UUID.randomUUID();
        publishJob(refused, "not an address", true, 1);
        String other = newJob(true);
        publish(failure(refused, "user-r", "Refused User", ErrorCodes.ENTRY_CONFLICT, "taken"),
                failure(other, "user-o", "Other User", ErrorCodes.ENTRY_CONFLICT, "taken"));

        awaitOneMailTo(other);
        await().atMost(EMAIL_TIMEOUT).until(() -> metric("notifier_emails_failed_total", refused) >= 1.0);
        assertThat(metric("notifier_outbox_pending", refused)).isEqualTo(1.0);

        // the administrator fixes the address: the failure still waiting is sent on the next attempt
        publishJob(refused, address(refused), true, 2);

        MimeMessage mail = awaitOneMailTo(refused);
        assertThat(plainText(mail)).contains("Refused User");
        await().atMost(EMAIL_TIMEOUT).until(() -> metric("notifier_outbox_pending", refused) == 0.0);
    }

    @Test
    void fiftyFailuresInOneWindowMakeOneEmailWithTheirCounts() throws Exception {
        String job = newJob(true);
        List<ProvisioningResult> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String code = i < 40 ? ErrorCodes.MANDATORY_FIELDS_MISSING : ErrorCodes.ENTRY_CONFLICT;
            results.add(failure(job, "user-" + i, "User " + i, code, "reason " + i));
        }
        publish(results.toArray(ProvisioningResult[]::new));

        MimeMessage mail = awaitOneMailTo(job);
        await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> mailsTo(job).size() == 1);

        assertThat(mail.getSubject()).endsWith(": 50 failures (MandatoryFieldsMissing 40, EntryConflict 10)");
        assertThat(plainText(mail)).contains("MandatoryFieldsMissing: 40", "EntryConflict: 10", "User 0", "User 49");
    }

    @Test
    void redeliveredResultsSendNothingNew() {
        String job = newJob(true);
        ProvisioningResult result = failure(job, "user-1", "Grace Hopper", ErrorCodes.ENTRY_CONFLICT, "taken");
        publish(result);
        awaitOneMailTo(job);

        publish(result);

        await().atMost(EMAIL_TIMEOUT).until(() -> metric("notifier_failures_deduplicated_total", job) == 1.0);
        await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> mailsTo(job).size() == 1);
    }

    @Test
    void noEmailWhenTheJobDoesNotNotifyOnFailure() {
        String job = newJob(false);
        publish(failure(job, "user-1", "Alan Turing", ErrorCodes.MANDATORY_FIELDS_MISSING, "no email"));

        await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> mailsTo(job).isEmpty());
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
        kafka.produceStrings().fromRecords(new ProducerRecord<>(Topics.RESULTS, badKey, "{not json")).awaitCompletion();

        var dlq = kafka.consumeStrings()
                .withGroupId("notifier-test-" + UUID.randomUUID())
                .withProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .fromTopics(Topics.deadLetter(Topics.RESULTS));
        try {
            ConsumerRecord<String, String> dead = await().atMost(EMAIL_TIMEOUT).until(
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

    // --- helpers

    private static String newJob(boolean notifyOnFailure) {
        String job = "job-" + UUID.randomUUID();
        publishJob(job, address(job), notifyOnFailure, 1);
        return job;
    }

    private static void publishJob(String job, String notificationEmail, boolean notifyOnFailure, long revision) {
        JobConfig config = new JobConfig(JobConfig.SCHEMA_VERSION, job, "Druva", JobState.ACTIVE,
                "https://apis.druva.com/insync/scim", null, notificationEmail, notifyOnFailure, null, true, null, null,
                false, null, null, null, null, revision, Instant.now());
        kafka.produceStrings().fromRecords(new ProducerRecord<>(Topics.JOBS, job, Json.write(config)))
                .awaitCompletion();
    }

    private static String address(String job) {
        return job + "@example.org";
    }

    private static ProvisioningResult failure(String job, String objectId, String name, String code, String reason) {
        return result(job, objectId, name, ProvisioningStatus.Failure, code, reason);
    }

    private static ProvisioningResult result(String job, String objectId, String name, ProvisioningStatus status,
            String code, String reason) {
        String eventId = "event-" + objectId;
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(job, objectId, "cycle-1", eventId), job, "cycle-1", eventId, ObjectType.USER,
                objectId, null, name, ProvisioningAction.Create, status, code, reason, null, 1, 12, List.of(),
                "mapper-service", Instant.now());
    }

    private static void publish(ProvisioningResult... results) {
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (ProvisioningResult r : results) {
            records.add(new ProducerRecord<>(Topics.RESULTS, EventKeys.of(r.jobId(), r.objectId()), Json.write(r)));
        }
        kafka.produceStrings().fromRecords(records).awaitCompletion();
    }

    private static List<MimeMessage> mailsTo(String job) {
        String to = address(job);
        return LocalStackTestResource.stack().smtp().received().stream().filter(m -> {
            try {
                return m.getAllRecipients() != null && Arrays.stream(m.getAllRecipients())
                        .anyMatch(a -> a.toString().equals(to));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    private static MimeMessage awaitOneMailTo(String job) {
        return await().atMost(EMAIL_TIMEOUT).until(() -> mailsTo(job), mails -> !mails.isEmpty()).get(0);
    }

    /** The decoded text/plain part of a received email. */
    private static String plainText(MimeMessage message) throws Exception {
        return part(message, "text/plain");
    }

    /** The decoded text/html part of a received email. */
    private static String htmlText(MimeMessage message) throws Exception {
        return part(message, "text/html");
    }

    private static String part(MimeMessage message, String mimeType) throws Exception {
        Object content = message.getContent();
        if (content instanceof String text) {
            return message.isMimeType(mimeType) ? text : null;
        }
        return part((Multipart) content, mimeType);
    }

    private static String part(Multipart multipart, String mimeType) throws Exception {
        for (int i = 0; i < multipart.getCount(); i++) {
            BodyPart part = multipart.getBodyPart(i);
            if (part.isMimeType(mimeType)) {
                return (String) part.getContent();
            }
            if (part.getContent() instanceof Multipart nested) {
                String text = part(nested, mimeType);
                if (text != null) {
                    return text;
                }
            }
        }
        return null;
    }

    /** The value of a counter or gauge for a job on /q/metrics, 0 when absent. */
    private static double metric(String name, String job) {
        String body = get("/q/metrics").then().statusCode(200).extract().asString();
        return body.lines()
                .filter(l -> l.startsWith(name + "{") && l.contains("job=\"" + job + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
