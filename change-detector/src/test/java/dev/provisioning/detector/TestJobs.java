package dev.provisioning.detector;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

import io.restassured.http.ContentType;

import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.TopicClient;

/** Jobs, directories, events and results for the change-detector's tests. */
final class TestJobs {

    private TestJobs() {
    }

    static Map<String, Object> job(Path file, String status, String token) {
        Map<String, Object> job = new HashMap<>();
        job.put("name", "Druva test");
        job.put("tenantUrl", "https://apis.druva.test/insync/scim");
        job.put("secretToken", token);
        job.put("notificationEmail", "admin@example.test");
        job.put("notifyOnFailure", true);
        job.put("provisioningStatus", status);
        job.put("cycleInterval", "PT5S");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", file.toString()));
        return job;
    }

    static String create(Map<String, Object> job) {
        return given().contentType(ContentType.JSON).body(job).post("/jobs").then().statusCode(201).extract()
                .path("id");
    }

    /** A directory of {@code n} users u0..u(n-1) with mail; the first {@code assigned} are assigned directly. */
    static String users(int n, int assigned) {
        StringBuilder users = new StringBuilder();
        StringBuilder assignments = new StringBuilder();
        for (int i = 0; i < n; i++) {
            users.append(i == 0 ? "" : ",").append("""
                    {"id": "u%d", "userPrincipalName": "user%d@x.test", "mail": "user%d@x.test",
                     "displayName": "User %d", "accountEnabled": true}""".formatted(i, i, i, i));
            if (i < assigned) {
                assignments.append(i == 0 ? "" : ",").append("""
                        {"principalId": "u%d", "principalType": "User", "appRoleId": "r1"}""".formatted(i));
            }
        }
        return "{\"users\": [" + users + "], \"groups\": [], \"assignments\": [" + assignments + "]}";
    }

    /** Waits for {@code count} assignment events of the job that match, and returns them. */
    static List<AssignmentEvent> events(TopicClient kafka, String jobId, int count,
            java.util.function.Predicate<AssignmentEvent> filter) {
        List<ConsumerRecord<String, String>> records = kafka.read(Topics.ASSIGNMENTS,
                r -> r.key() != null && r.key().startsWith(jobId + "/") && filter.test(EventChecks.assignment(
                        r.value())),
                count, Waits.OUTCOME);
        assertThat(records).as("assignment events of job " + jobId).hasSize(count);
        return records.stream().map(r -> EventChecks.assignment(r.value())).toList();
    }

    static ProvisioningResult result(AssignmentEvent e, ProvisioningAction action, ProvisioningStatus status,
            String errorCode, Integer httpStatus) {
        return new ProvisioningResult(1, ProvisioningResult.idOf(e.jobId(), e.objectId(), e.cycleId(), e.eventId()),
                e.jobId(), e.cycleId(), e.eventId(), e.objectType(), e.objectId(), "druva-" + e.objectId(),
                e.displayName(), action, status, errorCode, errorCode == null ? null : "failed: " + errorCode,
                httpStatus, 1, 5, List.of(), "test", Instant.now());
    }

    /**
     * A producer of results in large batches (256 KiB, 10 ms linger): a burst reaches the detector in polls of
     * hundreds of records.
     */
    static KafkaProducer<String, String> batchingProducer(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    /** Records a cycle of the job that emitted {@code events} events, as the cycle runner does; its id. */
    static String emittedCycle(CycleRepository cycles, String jobId, int events) {
        String cycleId = UUID.randomUUID().toString();
        cycles.start(cycleId, jobId, false).chain(() -> cycles.emitted(cycleId, events))
                .await().atMost(Waits.OUTCOME);
        return cycleId;
    }

    static void send(TopicClient kafka, ProvisioningResult result) {
        kafka.send(Topics.RESULTS, result.key(), Json.write(result));
    }

    /**
     * A job with a deletion threshold of 1 whose three users were created in Druva and then unassigned: its second
     * cycle holds the three disables and quarantines the job (whose cycles then run once a day). Its cycle interval is
     * a second ({@code detector.min-cycle-interval} in the tests), so that the second cycle comes soon.
     *
     * @return the first cycle's events (their job id and cycle id)
     */
    static List<AssignmentEvent> threeHeldDisables(TopicClient kafka, Path file, String token) throws Exception {
        java.nio.file.Files.writeString(file, users(3, 3));
        Map<String, Object> job = new HashMap<>(job(file, "On", token));
        job.put("deletionThreshold", 1);
        job.put("cycleInterval", "PT1S");
        String jobId = create(job);
        List<AssignmentEvent> initial = events(kafka, jobId, 3, e -> true);
        for (AssignmentEvent e : initial) {
            send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201));
        }
        java.nio.file.Files.writeString(file, users(3, 0));
        org.awaitility.Awaitility.await().atMost(Waits.OUTCOME)
                .untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                        .body("heldDeletions", org.hamcrest.Matchers.equalTo(3))
                        .body("quarantine.reason", org.hamcrest.Matchers.equalTo("DeletionThresholdExceeded")));
        return initial;
    }
}
