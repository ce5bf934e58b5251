package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * The results consumer takes a whole poll at a time (cycle/ResultsConsumer, {@code batch=true}): one poll holding a
 * duplicate, a Create and a Delete of one object, two cycles and a later outcome stores what one-by-one handling
 * stores; the same records again change nothing; a burst judged poll by poll quarantines at exactly the result that
 * tips the cycle over 40 %; and the group's committed offset never passes a poll that is not recorded yet (so a crash
 * redelivers it). Results are produced to one partition in large producer batches, so that polls hold many of them.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class ResultsBatchTest {

    static final String TOKEN = "batch-token-" + System.nanoTime();
    static final String GROUP = "change-detector";
    static TopicClient kafka;
    static KafkaProducer<String, String> producer;
    static Admin admin;

    @Inject
    CycleRepository cycles;
    @Inject
    ProvisioningLogRepository log;
    @Inject
    Pool pool;

    @BeforeAll
    static void connect() {
        String servers = LocalStackTestResource.stack().kafka().bootstrapServers();
        kafka = new TopicClient(servers);
        producer = TestJobs.batchingProducer(servers);
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers));
    }

    @AfterAll
    static void disconnect() {
        producer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
        kafka.close();
    }

    @Test
    void onePollStoresWhatOneByOneStoresAndTheSameRecordsAgainChangeNothing(@TempDir Path dir) throws Exception {
        String jobId = quietJob(dir);
        String a = cycle(jobId, 4);
        String b = cycle(jobId, 3);
        ProvisioningResult escrowed = result(jobId, a, "u3", ProvisioningAction.Create, ProvisioningStatus.Failure,
                Instant.now().plus(6, ChronoUnit.HOURS), null);
        List<ProvisioningResult> poll = List.of(
                result(jobId, a, "u1", ProvisioningAction.Create, ProvisioningStatus.Success, null, null),
                // the same result twice in one poll: recorded and counted once
                result(jobId, a, "u1", ProvisioningAction.Create, ProvisioningStatus.Success, null, null),
                // a Create and then a Delete of one object (two cycles): it ends up not managed
                result(jobId, a, "u2", ProvisioningAction.Create, ProvisioningStatus.Success, null, null),
                result(jobId, b, "u2", ProvisioningAction.Delete, ProvisioningStatus.Success, null, null),
                // an escrowed failure and its later outcome: the later one replaces it, the cycle is not counted again
                escrowed,
                result(jobId, a, "u3", ProvisioningAction.Create, ProvisioningStatus.Success, null,
                        escrowed.resultId()),
                result(jobId, a, "u4", ProvisioningAction.Update, ProvisioningStatus.Skipped, null, null),
                result(jobId, b, "u5", ProvisioningAction.Create, ProvisioningStatus.Success, null, null),
                result(jobId, b, "u6", ProvisioningAction.Create, ProvisioningStatus.Failure, null, null));

        publish(poll);
        String marker = cycle(jobId, 100);
        passMarker(jobId, marker, 1);
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertStoredOnce(jobId, a, b));

        // the same records delivered again (a crash before the offset commit): nothing changes
        publish(poll);
        passMarker(jobId, marker, 2);
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertStoredOnce(jobId, a, b));
        assertThat(kafka.readAll(Topics.deadLetter(Topics.RESULTS),
                r -> r.value() != null && r.value().contains(jobId))).isEmpty();
    }

    private void assertStoredOnce(String jobId, String a, String b) {
        Cycle first = cycles.find(a).await().atMost(Waits.OUTCOME).orElseThrow();
        assertThat(first.results()).isEqualTo(new Cycle.Results(4, 3, 1, true));
        assertThat(first.status()).isEqualTo(Cycle.Status.COMPLETED);
        assertThat(first.finishedAt()).isNotNull();
        Cycle second = cycles.find(b).await().atMost(Waits.OUTCOME).orElseThrow();
        assertThat(second.results()).isEqualTo(new Cycle.Results(3, 3, 1, true));
        assertThat(second.finishedAt()).isNotNull();
        assertThat(log.managedObjects(jobId).await().atMost(Waits.OUTCOME)).containsOnlyKeys("u1", "u3", "u5");
        // each object's outcome once: u3's later success replaces its escrowed failure
        assertThat(log.counts(jobId, a).await().atMost(Waits.OUTCOME))
                .containsExactlyInAnyOrderEntriesOf(Map.of("Create/Success", 3L, "Update/Skipped", 1L));
        assertThat(log.counts(jobId, b).await().atMost(Waits.OUTCOME))
                .containsExactlyInAnyOrderEntriesOf(Map.of("Delete/Success", 1L, "Create/Success", 1L,
                        "Create/Failure", 1L));
        // the later outcome, recorded in the same transaction as the failure, still ends the escrow
        assertThat(log.escrowedCount(jobId).await().atMost(Waits.OUTCOME)).isZero();
        given().get("/jobs/" + jobId + "/logs?objectId=u2").then().statusCode(200).body("size()", equalTo(2))
                .body("[0].action", equalTo("Delete")).body("[0].displayName", equalTo("User u2"))
                .body("[1].action", equalTo("Create"));
        given().get("/jobs/" + jobId + "/logs?objectId=u1").then().body("size()", equalTo(1));
    }

    @Test
    void aBurstIsJudgedResultByResultSoTheQuarantineNamesTheTippingCounts(@TempDir Path dir) throws Exception {
        String jobId = quietJob(dir);
        String failing = cycle(jobId, 12_800);
        // 7,500 successes then 5,300 failures in one burst: the 5,001st failure tips 5001 of 12501 over 40 %; the
        // failures after it share its polls, and must not change what the quarantine says
        List<ProvisioningResult> burst = new ArrayList<>();
        for (int i = 0; i < 7_500; i++) {
            burst.add(result(jobId, failing, "ok-" + i, ProvisioningAction.Create, ProvisioningStatus.Success, null,
                    null));
        }
        for (int i = 0; i < 5_300; i++) {
            burst.add(result(jobId, failing, "ko-" + i, ProvisioningAction.Create, ProvisioningStatus.Failure, null,
                    null));
        }
        publish(burst);

        await().atMost(Waits.BURST).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> assertThat(
                cycles.find(failing).await().atMost(Waits.OUTCOME).orElseThrow().results().received())
                .isEqualTo(12_800));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("state", equalTo("QUARANTINED"))
                .body("quarantine.reason", equalTo("TooManyFailures"))
                .body("quarantine.detail", containsString("5001 of 12501 operations (40.0 %)")));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(states(jobId)).singleElement()
                .satisfies(started -> {
                    assertThat(started.change()).isEqualTo(JobStateChange.QUARANTINE_STARTED);
                    assertThat(started.count()).isEqualTo(5_001);
                    assertThat(started.reason()).contains("5001 of 12501 operations");
                }));
    }

    @Test
    void theCommittedOffsetNeverPassesAPollThatIsNotRecordedYet(@TempDir Path dir) throws Exception {
        String jobId = quietJob(dir);
        String blocked = cycle(jobId, 1);
        String marker = cycle(jobId, 100);
        passMarker(jobId, marker, 1);
        TopicPartition partition = new TopicPartition(Topics.RESULTS, 0);

        // another session holds the cycle's row: the poll's transaction waits for it, as for a slow database
        SqlConnection holder = pool.getConnectionAndAwait();
        try {
            Transaction tx = holder.beginAndAwait();
            holder.preparedQuery("SELECT id FROM cycle WHERE id=$1 FOR UPDATE").executeAndAwait(Tuple.of(blocked));
            long offset = publish(List.of(result(jobId, blocked, "held", ProvisioningAction.Create,
                    ProvisioningStatus.Success, null, null))).get(0);

            // not recorded, not acked: the committed offset stays at or below the record (a crash now redelivers it),
            // over more than one commit interval (5 s)
            await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING)
                    .until(() -> committed(partition) <= offset);
            assertThat(cycles.find(blocked).await().atMost(Waits.OUTCOME).orElseThrow().results().received())
                    .isZero();

            tx.rollbackAndAwait();
            // recorded once the row is free, then acked and committed past it
            await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(
                    cycles.find(blocked).await().atMost(Waits.OUTCOME).orElseThrow().results().received())
                    .isEqualTo(1));
            await().atMost(Waits.OUTCOME).until(() -> committed(partition) > offset);
        } finally {
            holder.closeAndAwait();
        }
    }

    /** The group's committed offset of the partition (the next record it reads after a restart), -1 when none. */
    private static long committed(TopicPartition partition) throws Exception {
        OffsetAndMetadata committed = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                .get(Waits.OUTCOME.toMillis(), TimeUnit.MILLISECONDS).get(partition);
        return committed == null ? -1 : committed.offset();
    }

    /** A job whose own cycles find nothing to do: its first (empty) cycle is done. */
    private String quietJob(Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(0, 0));
        String jobId = create(job(file, "On", TOKEN));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("currentCycle.status", equalTo("COMPLETED")));
        return jobId;
    }

    private String cycle(String jobId, int events) {
        return TestJobs.emittedCycle(cycles, jobId, events);
    }

    private static ProvisioningResult result(String jobId, String cycleId, String objectId, ProvisioningAction action,
            ProvisioningStatus status, Instant retryAt, String retryOf) {
        boolean failed = status == ProvisioningStatus.Failure;
        String eventId = Cycle.eventId(cycleId, objectId);
        String resultId = retryOf != null
                ? ProvisioningResult.followUpIdOf(retryOf)
                : ProvisioningResult.idOf(jobId, objectId, cycleId, eventId);
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION, resultId, jobId, cycleId, eventId,
                ObjectType.USER, objectId, failed ? null : "druva-" + objectId, "User " + objectId, action, status,
                failed ? (retryAt != null ? "TargetUnavailable" : ErrorCodes.ENTRY_CONFLICT) : null,
                failed ? "refused" : null, failed ? 409 : 201, 1, 5, List.of(), "test", Instant.now(), retryAt,
                retryOf);
    }

    /** Publishes the results to partition 0, in this order, and waits for the broker; their offsets. */
    private static List<Long> publish(List<ProvisioningResult> results) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (ProvisioningResult r : results) {
            sent.add(producer.send(new ProducerRecord<>(Topics.RESULTS, 0, r.key(), Json.write(r))));
        }
        producer.flush();
        List<Long> offsets = new ArrayList<>();
        for (Future<RecordMetadata> f : sent) {
            offsets.add(f.get(Waits.OUTCOME.toMillis(), TimeUnit.MILLISECONDS).offset());
        }
        return offsets;
    }

    /**
     * Sends a Skipped result of the marker cycle to partition 0 after everything sent before, and waits until it is
     * recorded: the partition's polls are handled one after the other, so everything before it has been handled.
     */
    private void passMarker(String jobId, String markerCycle, int round) throws Exception {
        publish(List.of(result(jobId, markerCycle, "marker-" + round, ProvisioningAction.Update,
                ProvisioningStatus.Skipped, null, null)));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(
                cycles.find(markerCycle).await().atMost(Waits.OUTCOME).orElseThrow().results().received())
                .isEqualTo(round));
    }

    private static List<JobStateEvent> states(String jobId) {
        return kafka.readAll(Topics.JOB_STATES, r -> jobId.equals(r.key())).stream()
                .map(r -> EventChecks.jobState(r.value())).toList();
    }
}
