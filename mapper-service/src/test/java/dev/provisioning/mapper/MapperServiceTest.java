package dev.provisioning.mapper;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;
import dev.provisioning.mapper.messaging.AssignmentConsumer;
import dev.provisioning.telemetry.KafkaTracingFollowsOtel;

@QuarkusTest
@QuarkusTestResource(LocalStackTestResource.class)
class MapperServiceTest {

    /** Health and metrics are served on the management interface. */
    @TestHTTPResource(value = "/health/live", management = true)
    URL health;
    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Inject
    AssignmentConsumer consumer;

    static TopicClient kafka;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    /**
     * With tracing off (the default) the Kafka connector does not trace either: its instrumenters cost every record CPU
     * for no-op spans (telemetry's {@code KafkaTracingFollowsOtel}; TracingTest has it on with the SDK).
     */
    @Test
    void theKafkaConnectorDoesNotTraceWhileTracingIsOff() {
        assertThat(ConfigProvider.getConfig().getValue(KafkaTracingFollowsOtel.OTEL_SDK_DISABLED, Boolean.class))
                .isTrue();
        assertThat(ConfigProvider.getConfig().getValue(KafkaTracingFollowsOtel.CONNECTOR_TRACING, Boolean.class))
                .isFalse();
    }

    @Test
    void entitledUserWithEmailBecomesAnUpsertWithTheDruvaDefaultMapping() {
        String jobId = publishJob();
        AssignmentEvent event = event(jobId, "u1", Map.of("userPrincipalName", "ann@x.test", "mail", "ann@x.test",
                "givenName", "Ann", "surname", "Lee", "displayName", "Ann Lee", "accountEnabled", true, "mailNickname",
                "ann"), List.of(new Assignment("role-user", null)));

        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event));

        ScimOperation op = operations(jobId, 1).get(0);
        assertThat(op.kind()).isEqualTo(OperationKind.UPSERT);
        assertThat(op.operationId()).isEqualTo(event.eventId());
        assertThat(op.attributes()).containsEntry("userName", "ann@x.test")
                .containsEntry("emails[type eq \"work\"].value", "ann@x.test")
                .containsEntry("name.givenName", "Ann").containsEntry("name.familyName", "Lee")
                .containsEntry("active", true).containsEntry("externalId", "ann");
        assertThat(op.matching()).first().satisfies(m -> {
            assertThat(m.targetAttribute()).isEqualTo("userName");
            assertThat(m.value()).isEqualTo("ann@x.test");
        });
    }

    @Test
    void userWithoutEmailFailsWithMandatoryFieldsMissingAndNothingIsSent() {
        String jobId = publishJob();
        AssignmentEvent event = event(jobId, "u2", Map.of("userPrincipalName", "bob@x.test", "accountEnabled", true),
                List.of(new Assignment("role-user", null)));

        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event));

        ProvisioningResult result = results(jobId, 1).get(0);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Failure);
        assertThat(result.errorCode()).isEqualTo("MandatoryFieldsMissing");
        assertThat(result.resultId()).isEqualTo(ProvisioningResult.idOf(jobId, "u2", event.cycleId(), event.eventId()));
        assertThat(kafka.readAll(Topics.OPERATIONS, r -> r.key().startsWith(jobId + "/"))).isEmpty();
    }

    @Test
    void defaultAccessOnlyUserIsADisableForTheWriterToSkipWhenUnmanaged() {
        String jobId = publishJob();
        AssignmentEvent event = event(jobId, "u3", Map.of("userPrincipalName", "cy@x.test", "mail", "cy@x.test",
                "accountEnabled", true), List.of(new Assignment(Assignment.DEFAULT_ACCESS, null)));

        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event));

        ScimOperation op = operations(jobId, 1).get(0);
        assertThat(op.kind()).isEqualTo(OperationKind.DISABLE);
        assertThat(op.reasonCode()).isEqualTo("NotEffectivelyEntitled");
    }

    @Test
    void anAssignedGroupBecomesAGroupUpsertCarryingItsMembers() {
        String jobId = publishJob();
        AssignmentEvent event = new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, UUID.randomUUID().toString(), jobId,
                "cycle-1", true, ObjectType.GROUP, "g1", ChangeKind.ADDED, Map.of("displayName", "Sales"),
                List.of(new Assignment("role-user", null)), List.of("u1", "u2"), Instant.now());

        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event));

        ScimOperation op = operations(jobId, 1).get(0);
        assertThat(op.objectType()).isEqualTo(ObjectType.GROUP);
        assertThat(op.kind()).isEqualTo(OperationKind.UPSERT);
        assertThat(op.attributes()).containsEntry("displayName", "Sales").containsEntry("externalId", "g1");
        assertThat(op.members()).containsExactly("u1", "u2");
    }

    @Test
    void aGroupOfFiftyThousandMembersBecomesOneOperationCarryingThemAll() {
        // 1.9 MB of member ids: over Kafka's default record limit of 1 MiB (the 100,000-user benchmark's largest group)
        String jobId = publishJob();
        List<String> members = java.util.stream.IntStream.range(0, 50_000).mapToObj(i -> UUID.randomUUID().toString())
                .toList();
        AssignmentEvent event = new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, UUID.randomUUID().toString(), jobId,
                "cycle-1", true, ObjectType.GROUP, "g-all", ChangeKind.ADDED, Map.of("displayName", "Everyone"),
                List.of(new Assignment("role-user", null)), members, Instant.now());

        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event));

        ScimOperation op = operations(jobId, 1).get(0);
        assertThat(op.kind()).isEqualTo(OperationKind.UPSERT);
        assertThat(op.members()).containsExactlyElementsOf(members);
    }

    @Test
    void anEventArrivingBeforeItsJobWaitsForTheJobConfiguration() {
        String jobId = "job-" + UUID.randomUUID();
        AssignmentEvent event = event(jobId, "u4", Map.of("userPrincipalName", "d@x.test", "mail", "d@x.test",
                "accountEnabled", true), List.of(new Assignment("r", null)));
        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event));

        publishJob(jobId);

        assertThat(operations(jobId, 1)).singleElement().extracting(ScimOperation::kind)
                .isEqualTo(OperationKind.UPSERT);
    }

    /**
     * Issue 12, (A): the consumer takes the next record before the previous one's operation is acked, and still the
     * operations of one object leave in the order its events came. Fifty events of one user, sent together (one burst
     * in one partition), become fifty operations in that order.
     */
    @Test
    void theOperationsOfOneObjectLeaveInTheOrderItsEventsCame() {
        String jobId = publishJob();
        awaitKnown(jobId);
        List<Map.Entry<String, String>> burst = new ArrayList<>();
        for (int v = 1; v <= 50; v++) {
            AssignmentEvent event = event(jobId, "u-order", Map.of("userPrincipalName", "o@x.test", "mail",
                    "o@x.test", "displayName", "v" + v, "accountEnabled", true), List.of(new Assignment("r", null)));
            burst.add(Map.entry(event.key(), Json.write(event)));
        }

        kafka.sendAll(Topics.ASSIGNMENTS, burst);

        var records = kafka.read(Topics.OPERATIONS, r -> r.key().equals(jobId + "/u-order"), 50, Waits.OUTCOME);
        assertThat(records.stream().map(r -> EventChecks.operation(r.value()).displayName()))
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 50).mapToObj(v -> "v" + v).toList());
    }

    /**
     * Issue 12, (A): records are in process together, not one at a time. A burst of 400 records of five known jobs,
     * already in the topic when the consumer polls them: while one record's operation waits for the broker (the
     * producer lingers 5 ms before sending), the next records are taken, so at some moment at least two records were
     * in flight. The old consumer, which waited for each ack, never had more than one.
     */
    @Test
    void aBurstOfRecordsIsInProcessTogetherNotOneAtATime() {
        List<String> jobs = IntStream.range(0, 5).mapToObj(i -> publishJob()).toList();
        jobs.forEach(MapperServiceTest::awaitKnown);
        List<Map.Entry<String, String>> burst = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            for (String jobId : jobs) {
                AssignmentEvent event = event(jobId, "u" + i, Map.of("userPrincipalName", i + "@x.test", "mail",
                        i + "@x.test", "accountEnabled", true), List.of(new Assignment("r", null)));
                burst.add(Map.entry(event.key(), Json.write(event)));
            }
        }
        consumer.takePeakInFlight();

        kafka.sendAll(Topics.ASSIGNMENTS, burst);

        for (String jobId : jobs) {
            assertThat(kafka.read(Topics.OPERATIONS, r -> r.key().startsWith(jobId + "/u"), 80, Waits.OUTCOME))
                    .hasSize(80);
        }
        assertThat(consumer.takePeakInFlight()).as("records in flight at once during the burst")
                .isGreaterThanOrEqualTo(2);
    }

    /** Waits until the mapper knows the job: one record of it has become an operation. */
    private static void awaitKnown(String jobId) {
        AssignmentEvent probe = event(jobId, "probe", Map.of("userPrincipalName", "p@x.test", "mail", "p@x.test",
                "accountEnabled", true), List.of(new Assignment("r", null)));
        kafka.send(Topics.ASSIGNMENTS, probe.key(), Json.write(probe));
        assertThat(kafka.read(Topics.OPERATIONS, r -> r.key().equals(probe.key()), 1, Waits.OUTCOME)).hasSize(1);
    }

    /**
     * Issue 12, "Jobs are isolated": a record of a job the mapper does not know waits for that job only. Another job's
     * record goes through while it waits (when the other job's operation is out, the waiting record has neither a result
     * nor a dead letter yet); deleting the job then dead-letters it with the reason, and a later record of the deleted
     * job is dead-lettered as deleted, not after a wait of its own.
     */
    @Test
    void aRecordOfAnUnknownJobDoesNotHoldUpAnotherJobAndIsDeadLetteredWhenItsJobIsDeleted() {
        String unknown = "job-" + UUID.randomUUID();
        AssignmentEvent waiting = event(unknown, "u6", Map.of("userPrincipalName", "f@x.test", "mail", "f@x.test",
                "accountEnabled", true), List.of(new Assignment("r", null)));
        kafka.send(Topics.ASSIGNMENTS, waiting.key(), Json.write(waiting));
        String known = publishJob();
        AssignmentEvent flowing = event(known, "u7", Map.of("userPrincipalName", "g@x.test", "mail", "g@x.test",
                "accountEnabled", true), List.of(new Assignment("r", null)));

        kafka.send(Topics.ASSIGNMENTS, flowing.key(), Json.write(flowing));

        assertThat(operations(known, 1)).singleElement().extracting(ScimOperation::objectId).isEqualTo("u7");
        assertThat(kafka.readAll(Topics.deadLetter(Topics.ASSIGNMENTS), r -> waiting.key().equals(r.key())))
                .as("the unknown job's record is still waiting").isEmpty();
        assertThat(kafka.readAll(Topics.RESULTS, r -> waiting.key().equals(r.key()))).isEmpty();

        kafka.send(Topics.JOBS, unknown, null);
        AssignmentEvent later = event(unknown, "u8", Map.of("userPrincipalName", "h@x.test", "mail", "h@x.test",
                "accountEnabled", true), List.of(new Assignment("r", null)));
        kafka.send(Topics.ASSIGNMENTS, later.key(), Json.write(later));

        List<ConsumerRecord<String, String>> dead = kafka.read(Topics.deadLetter(Topics.ASSIGNMENTS),
                r -> r.key().startsWith(unknown + "/"), 2, Waits.OUTCOME);
        assertThat(dead).extracting(ConsumerRecord::key).containsExactlyInAnyOrder(waiting.key(), later.key());
        assertThat(dead).allSatisfy(r -> assertThat(reason(r)).isEqualTo("job " + unknown + " was deleted"));
        assertThat(kafka.readAll(Topics.OPERATIONS, r -> r.key().startsWith(unknown + "/"))).isEmpty();
        // every record is dead-lettered and counted (the log has one line for the job, then a summary)
        awaitDeadLettered(unknown, "JobDeleted", "2.0");
    }

    @Test
    void aMalformedEventGoesToTheDeadLetterTopicWithItsReasonAndProcessingGoesOn() {
        String jobId = publishJob();
        String key = jobId + "/broken";
        kafka.send(Topics.ASSIGNMENTS, key, "{\"schemaVersion\": 1, \"eventId\": \"e\"");
        AssignmentEvent good = event(jobId, "u5", Map.of("userPrincipalName", "e@x.test", "mail", "e@x.test",
                "accountEnabled", true), List.of(new Assignment("r", null)));
        kafka.send(Topics.ASSIGNMENTS, good.key(), Json.write(good));

        List<ConsumerRecord<String, String>> dead = kafka.read(Topics.deadLetter(Topics.ASSIGNMENTS),
                r -> key.equals(r.key()), 1, Waits.OUTCOME);
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).headers().lastHeader("dead-letter-reason").value()))
                .startsWith("AssignmentEvent: ");
        assertThat(operations(jobId, 1)).hasSize(1);
        given().get(health).then().statusCode(200);
        given().get(metrics).then().statusCode(200);
    }

    /**
     * Waits until {@code provisioning_mapper_records_dead_lettered_total} for the job and reason reads {@code value}
     * (a scrape is another thread's read of the counter: awaited, as the writer's test learned).
     */
    private void awaitDeadLettered(String jobId, String reason, String value) {
        awaitDeadLettered(metrics, jobId, reason, value);
    }

    /** {@link #awaitDeadLettered(String, String, String)} on the given metrics endpoint. */
    static void awaitDeadLettered(URL metrics, String jobId, String reason, String value) {
        org.awaitility.Awaitility.await().atMost(Waits.OUTCOME)
                .untilAsserted(() -> assertThat(deadLettered(metrics, jobId, reason)).isEqualTo(value));
    }

    /** The value of {@code provisioning_mapper_records_dead_lettered_total} for the job and reason, as exported. */
    private static String deadLettered(URL metrics, String jobId, String reason) {
        String series = "provisioning_mapper_records_dead_lettered_total{provisioning_job=\"" + jobId + "\",reason=\""
                + reason + "\"} ";
        return given().get(metrics).asString().lines().filter(l -> l.startsWith(series))
                .map(l -> l.substring(series.length()).split(" ")[0]).findFirst().orElse("absent");
    }

    static String reason(ConsumerRecord<String, String> deadLetter) {
        return new String(deadLetter.headers().lastHeader("dead-letter-reason").value(),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<ScimOperation> operations(String jobId, int count) {
        var records = kafka.read(Topics.OPERATIONS, r -> r.key().startsWith(jobId + "/"), count,
                Waits.OUTCOME);
        assertThat(records).hasSize(count);
        return records.stream().map(r -> EventChecks.operation(r.value())).toList();
    }

    private static List<ProvisioningResult> results(String jobId, int count) {
        var records = kafka.read(Topics.RESULTS, r -> r.key().startsWith(jobId + "/"), count, Waits.OUTCOME);
        assertThat(records).hasSize(count);
        return records.stream().map(r -> EventChecks.result(r.value())).toList();
    }

    private static String publishJob() {
        return publishJob("job-" + UUID.randomUUID());
    }

    private static String publishJob(String jobId) {
        return TestJobs.publish(kafka, jobId);
    }

    static AssignmentEvent event(String jobId, String userId, Map<String, Object> attributes,
            List<Assignment> assignments) {
        String cycle = "cycle-1";
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, UUID.randomUUID().toString(), jobId, cycle, true,
                ObjectType.USER, userId, ChangeKind.ADDED, attributes, assignments, List.of(), Instant.now());
    }

    @Test
    void theMapperHasNoHttpApiHealthAndMetricsAreOnTheManagementPortOnly() {
        for (String path : List.of("/q/health", "/q/health/live", "/q/metrics", "/q/openapi", "/jobs")) {
            given().get(path).then().statusCode(404);
        }
        given().get(health).then().statusCode(200);
        given().get(metrics).then().statusCode(200);
        org.assertj.core.api.Assertions.assertThat(metrics.getPort()).isNotEqualTo(io.restassured.RestAssured.port);
    }
}
