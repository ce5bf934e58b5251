package dev.provisioning.notifier;

import static io.restassured.RestAssured.get;
import static org.awaitility.Awaitility.await;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;

import org.apache.kafka.clients.producer.ProducerRecord;

import io.quarkus.test.common.http.TestHTTPResourceManager;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;

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
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * What the notifier's Quarkus tests share: publishing jobs, results and job state events to the real broker, and
 * reading what the administrator received. Every test uses its own job id, because the broker and the mailbox are
 * shared; the address of a job is {@code <job>@example.org}.
 */
final class NotifierTestSupport {

    private static KafkaCompanion kafka;

    private NotifierTestSupport() {
    }

    /** One companion per test JVM, on the local stack's broker (its Kafka API calls may take a while on a busy machine). */
    static synchronized KafkaCompanion kafka() {
        if (kafka == null) {
            kafka = new KafkaCompanion(LocalStackTestResource.stack().kafka().bootstrapServers(), Waits.OUTCOME);
        }
        return kafka;
    }

    static String newJob(boolean notifyOnFailure) {
        String job = "job-" + UUID.randomUUID();
        publishJob(job, address(job), notifyOnFailure, 1);
        return job;
    }

    static void publishJob(String job, String notificationEmail, boolean notifyOnFailure, long revision) {
        JobConfig config = new JobConfig(JobConfig.SCHEMA_VERSION, job, "Druva", JobState.ACTIVE,
                "https://apis.druva.com/insync/scim", null, notificationEmail, notifyOnFailure, null, true, null, null,
                false, null, null, null, null, revision, Instant.now());
        kafka().produceStrings().fromRecords(new ProducerRecord<>(Topics.JOBS, job, Json.write(config)))
                .awaitCompletion(Waits.OUTCOME);
    }

    static String address(String job) {
        return job + "@example.org";
    }

    static ProvisioningResult failure(String job, String objectId, String name, String code, String reason) {
        return result(job, objectId, name, ProvisioningStatus.Failure, code, reason);
    }

    static ProvisioningResult result(String job, String objectId, String name, ProvisioningStatus status, String code,
            String reason) {
        String eventId = "event-" + objectId;
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(job, objectId, "cycle-1", eventId), job, "cycle-1", eventId, ObjectType.USER,
                objectId, null, name, ProvisioningAction.Create, status, code, reason, null, 1, 12, List.of(),
                "mapper-service", Instant.now());
    }

    static void publish(ProvisioningResult... results) {
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (ProvisioningResult r : results) {
            records.add(new ProducerRecord<>(Topics.RESULTS, EventKeys.of(r.jobId(), r.objectId()), Json.write(r)));
        }
        kafka().produceStrings().fromRecords(records).awaitCompletion(Waits.OUTCOME);
    }

    /** A job state event with a fresh id, as the change-detector would publish it. */
    static JobStateEvent state(String job, JobStateChange change, String reasonCode, long count) {
        return new JobStateEvent(JobStateEvent.SCHEMA_VERSION, job + "/" + change + "/" + UUID.randomUUID(), job,
                "Druva", change, reasonCode, "what the detector saw: " + change, count, "cycle-1", Instant.now());
    }

    static void publish(JobStateEvent... events) {
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (JobStateEvent e : events) {
            records.add(new ProducerRecord<>(Topics.JOB_STATES, e.jobId(), Json.write(e)));
        }
        kafka().produceStrings().fromRecords(records).awaitCompletion(Waits.OUTCOME);
    }

    /** The emails the tests' SMTP server ({@link OutageSmtpResource}) received for a job, in the order they arrived. */
    static List<MimeMessage> mailsTo(String job) {
        return mailsTo(OutageSmtpResource.received(), job);
    }

    static List<MimeMessage> mailsTo(List<MimeMessage> received, String job) {
        String to = address(job);
        return received.stream().filter(m -> {
            try {
                return m.getAllRecipients() != null && Arrays.stream(m.getAllRecipients())
                        .anyMatch(a -> a.toString().equals(to));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    static MimeMessage awaitOneMailTo(String job) {
        return await().atMost(Waits.OUTCOME).until(() -> mailsTo(job), mails -> !mails.isEmpty()).get(0);
    }

    static List<String> subjects(List<MimeMessage> mails) {
        return mails.stream().map(m -> {
            try {
                return m.getSubject();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    /** The decoded text/plain part of a received email. */
    static String plainText(MimeMessage message) throws Exception {
        return part(message, "text/plain");
    }

    /** The decoded text/html part of a received email. */
    static String htmlText(MimeMessage message) throws Exception {
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

    /** The value of a counter or gauge for a job on /q/metrics (all kinds added), 0 when absent. */
    static double metric(String name, String job) {
        return metric(name, job, null);
    }

    /** The value of a counter or gauge for a job and kind on /q/metrics, 0 when absent. */
    static double metric(String name, String job, String kind) {
        return metricsBody().lines()
                .filter(l -> l.startsWith(name + "{") && l.contains("provisioning_job=\"" + job + "\""))
                .filter(l -> kind == null || l.contains("kind=\"" + kind + "\""))
                .mapToDouble(NotifierTestSupport::sampleValue)
                .sum();
    }

    /**
     * Waits until the notifier has read the job's configuration: it then reports the job's email counters (at 0), so a
     * Failure published after this is judged by the job's settings, not stored as a failure of a job not read yet.
     */
    static void awaitKnown(String job) {
        await().atMost(Waits.OUTCOME).until(() -> metricsBody().lines()
                .anyMatch(l -> l.startsWith("notifier_emails_sent_total{")
                        && l.contains("provisioning_job=\"" + job + "\"")));
    }

    /** /q/metrics, served on the management interface. */
    private static String metricsBody() {
        return get(java.net.URI.create(TestHTTPResourceManager.getManagementUri()).resolve("/q/metrics").toString())
                .then().statusCode(200).extract().asString();
    }

    /**
     * The value of one sample line: the token after the labels. /q/metrics answers in OpenMetrics unless asked for
     * text/plain, where a counter may carry an exemplar after its value ({@code ... 3.0 # {trace_id="..."} 1.0
     * 1733040000.123}, OpenMetrics 1.0 "Exemplars"), so the last token is not the value.
     */
    static double sampleValue(String line) {
        String afterLabels = line.substring(line.indexOf('}') + 1).trim();
        int end = afterLabels.indexOf(' ');
        return Double.parseDouble(end < 0 ? afterLabels : afterLabels.substring(0, end));
    }
}
