package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.cycle.ResultsConsumer;
import dev.provisioning.detector.cycle.ResultsJudging;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.ManagedObjectRepository;
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
import dev.provisioning.telemetry.MeterTags;

/**
 * The results consumer takes a whole poll at a time (cycle/ResultsConsumer, {@code batch=true}): one poll holding a
 * duplicate, a Create and a Delete of one object, two cycles and a later outcome stores what one-by-one handling
 * stores; the same records again change nothing; a burst judged poll by poll quarantines at exactly the result that
 * tips the cycle over 40 %; the group's committed offset never passes a poll that is not recorded yet (so a crash
 * redelivers it); and a database that refuses a job's save while the poll is judged (after its results were
 * committed) delays the judging, never dead-letters the results: a short refusal is retried and the cycle finishes
 * and is followed up once; a longer one keeps the poll unacked with readiness down until the database answers. Those
 * two run first, so that the tests after them show the consumer unaffected. Results are produced to one partition in
 * large producer batches, so that polls hold many of them.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ResultsBatchTest {

    static final String TOKEN = "batch-token-" + System.nanoTime();
    static final String GROUP = "change-detector";
    /**
     * The cycle interval of the jobs whose follow-up is counted: their next cycle is never due during the test, so a
     * follow-up always asks for one ({@code cycle_requests} grows by one).
     */
    static final String RARELY = "PT1H";
    static TopicClient kafka;
    static KafkaProducer<String, String> producer;
    static Admin admin;

    @Inject
    ManagedObjectRepository managedObjects;

    @Inject
    CycleRepository cycles;
    @Inject
    ProvisioningLogRepository log;
    @Inject
    Pool pool;
    @Inject
    MeterRegistry registry;
    /** The management interface (health): its own port. */
    @TestHTTPResource(value = "/", management = true)
    URL managementRoot;

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

    /**
     * The job's save that follows a completed cycle up is refused three times while the poll is judged: SQLSTATE 57P01
     * raised by a trigger (the client never answers it: the attempt times out), a serialization failure (40001), then
     * the connection killed as a database restart kills it (57P01, the connection closed). The judging is retried: the
     * cycle is finished once, its follow-up asked for once, its duration recorded once, nothing is dead-lettered, and
     * the tests after this one find the consumer as before.
     */
    @Test
    @Order(1)
    void aSaveRefusedWhileJudgingIsRetriedAndTheCycleFinishesOnce(@TempDir Path dir) throws Exception {
        String jobId = quietJob(dir, RARELY);
        holdsAGroup(jobId);
        long requests = cycleRequests(jobId);
        long durations = durations(jobId);
        String cycleId = cycle(jobId, 2);
        try (Refusals refusals = refuseFollowUps(jobId, cycleId,
                List.of(Refusal.RAISED_SHUTDOWN, Refusal.SERIALIZATION, Refusal.KILLED), null)) {
            publish(List.of(result(jobId, cycleId, "u1", ProvisioningAction.Create, ProvisioningStatus.Success, null,
                    null),
                    result(jobId, cycleId, "u2", ProvisioningAction.Create, ProvisioningStatus.Success, null,
                            null)));

            await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(
                    cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().finishedAt()).isNotNull());
            // three refused, the fourth went through
            assertThat(refusals.asked()).isEqualTo(4);
        }
        assertThat(cycleRequests(jobId)).isEqualTo(requests + 1);
        await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING).until(() -> cycleRequests(jobId) == requests + 1);
        assertThat(durations(jobId)).isEqualTo(durations + 1);
        assertThat(deadLetters(jobId)).isEmpty();
    }

    /**
     * The database refuses the job's follow-up save (the connection killed each time) for longer than the bounded
     * retries: the poll stays unacked, readiness is down, the cycle is not marked finished (its transaction is the
     * follow-up's) and nothing is dead-lettered. Once the database answers again the results are judged as if nothing
     * happened: the cycle finished and followed up once, the poll acked, readiness up.
     */
    @Test
    @Order(2)
    void aLongerOutageWhileJudgingDeadLettersNothingAndTheResultsAreJudgedAfterIt(@TempDir Path dir)
            throws Exception {
        String jobId = quietJob(dir, RARELY);
        holdsAGroup(jobId);
        long requests = cycleRequests(jobId);
        String cycleId = cycle(jobId, 1);
        TopicPartition partition = new TopicPartition(Topics.RESULTS, 0);
        long offset;
        try (Refusals refusals = refuseFollowUps(jobId, cycleId, List.of(Refusal.SERIALIZATION), Refusal.KILLED)) {
            offset = publish(List.of(result(jobId, cycleId, "u1", ProvisioningAction.Create,
                    ProvisioningStatus.Success, null, null))).get(0);

            await().atMost(Waits.OUTCOME).untilAsserted(() -> readiness().statusCode(503)
                    .body("checks.find { it.name == '" + ResultsJudging.NAME + "' }.status", equalTo("DOWN")));
            assertThat(refusals.asked()).isGreaterThanOrEqualTo(ResultsConsumer.JUDGE_ATTEMPTS);
            assertThat(committed(partition)).isLessThanOrEqualTo(offset);
            assertThat(cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().finishedAt()).isNull();
            assertThat(cycleRequests(jobId)).isEqualTo(requests);
            assertThat(deadLetters(jobId)).isEmpty();
        }

        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(
                cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().finishedAt()).isNotNull());
        assertThat(cycleRequests(jobId)).isEqualTo(requests + 1);
        await().atMost(Waits.OUTCOME).untilAsserted(() -> readiness()
                .body("checks.find { it.name == '" + ResultsJudging.NAME + "' }.status", equalTo("UP")));
        await().atMost(Waits.OUTCOME).until(() -> committed(partition) > offset);
        assertThat(deadLetters(jobId)).isEmpty();
    }

    /** The job's snapshot holds a group, so that a cycle that changed which users Druva holds is followed up. */
    private void holdsAGroup(String jobId) {
        pool.preparedQuery("INSERT INTO source_snapshot (job_id, object_id, object_type, state_hash, updated_at) "
                + "VALUES ($1, 'g-followed', 'GROUP', 'x', now())").executeAndAwait(Tuple.of(jobId));
    }

    private long cycleRequests(String jobId) {
        return pool.preparedQuery("SELECT cycle_requests FROM job WHERE id=$1").executeAndAwait(Tuple.of(jobId))
                .iterator().next().getLong(0);
    }

    /** How many cycle durations were recorded for the job (one per finished cycle). */
    private long durations(String jobId) {
        return registry.find(DetectorMeters.CYCLE_DURATION).tag(MeterTags.PROVISIONING_JOB, jobId).timers().stream()
                .mapToLong(Timer::count).sum();
    }

    private static List<?> deadLetters(String jobId) {
        return kafka.readAll(Topics.deadLetter(Topics.RESULTS), r -> r.value() != null && r.value().contains(jobId));
    }

    private io.restassured.response.ValidatableResponse readiness() {
        return given().get(managementRoot.getProtocol() + "://" + managementRoot.getAuthority() + "/q/health/ready")
                .then();
    }

    /** How the database refuses a save. */
    private enum Refusal {
        /**
         * {@code RAISE} of SQLSTATE 57P01 (admin shutdown) at ERROR severity: the PostgreSQL client (4.5) takes that
         * code for a closed connection and never answers the statement, a state a real server does not leave it in (it
         * closes the connection with that code); the consumer's attempt timeout ends it.
         */
        RAISED_SHUTDOWN("RAISE EXCEPTION 'refused by the test' USING ERRCODE = '57P01';"),
        /** A serialization failure (SQLSTATE 40001). */
        SERIALIZATION("RAISE EXCEPTION 'refused by the test' USING ERRCODE = '40001';"),
        /** The saving connection killed, as a database restart kills it (57P01 at FATAL severity, then closed). */
        KILLED("PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); "
                + "RAISE EXCEPTION 'refused by the test';");

        final String sql;

        Refusal(String sql) {
            this.sql = sql;
        }
    }

    /**
     * A trigger on the job table that refuses the job's saves that follow the cycle up (they ask for a cycle,
     * {@code cycle_requests} grows, in the transaction that marks the cycle finished): the first ones as
     * {@code refusals} say, one each, then every one by {@code thenEvery} (null: none). Removed on close.
     */
    private Refusals refuseFollowUps(String jobId, String cycleId, List<Refusal> refusals, Refusal thenEvery) {
        String name = "refuse_" + Long.toUnsignedString(System.nanoTime(), 36);
        StringBuilder cases = new StringBuilder();
        for (int i = 0; i < refusals.size(); i++) {
            cases.append("IF n = ").append(i + 1).append(" THEN ").append(refusals.get(i).sql).append(" END IF; ");
        }
        if (thenEvery != null) {
            cases.append(thenEvery.sql);
        }
        pool.query("CREATE SEQUENCE " + name).executeAndAwait();
        pool.query("CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE n bigint; BEGIN "
                + "IF NEW.id = '" + jobId + "' AND NEW.cycle_requests <> OLD.cycle_requests AND EXISTS (SELECT 1 "
                + "FROM cycle WHERE id = '" + cycleId + "' AND finished_at IS NOT NULL) THEN "
                + "n := nextval('" + name + "'); " + cases + "END IF; RETURN NEW; END $$").executeAndAwait();
        pool.query("CREATE TRIGGER " + name + " BEFORE UPDATE ON job FOR EACH ROW EXECUTE FUNCTION " + name + "()")
                .executeAndAwait();
        return new Refusals(name);
    }

    /** The refusing trigger: {@link #asked()} counts the saves it looked at; closing removes it. */
    private final class Refusals implements AutoCloseable {

        private final String name;

        Refusals(String name) {
            this.name = name;
        }

        long asked() {
            return pool.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + name).executeAndAwait()
                    .iterator().next().getLong(0);
        }

        @Override
        public void close() {
            pool.query("DROP TRIGGER IF EXISTS " + name + " ON job").executeAndAwait();
            pool.query("DROP FUNCTION IF EXISTS " + name + "()").executeAndAwait();
            pool.query("DROP SEQUENCE IF EXISTS " + name).executeAndAwait();
        }
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

        Map<String, Double> countedBefore = counted(jobId);
        publish(poll);
        String marker = cycle(jobId, 100);
        passMarker(jobId, marker, 1);
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertStoredOnce(jobId, a, b));
        // the meters count each newly recorded result once (the duplicate not), with its error code if it has one
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(increase(countedBefore, counted(jobId)))
                .containsExactlyInAnyOrderEntriesOf(Map.of("Create/Success", 4.0, "Delete/Success", 1.0,
                        "Create/Failure", 2.0, "Update/Skipped", 2.0, "Failure/TargetUnavailable", 1.0,
                        "Failure/" + ErrorCodes.ENTRY_CONFLICT, 1.0)));
        Map<String, Double> countedOnce = counted(jobId);

        // the same records delivered again (a crash before the offset commit): nothing changes
        publish(poll);
        passMarker(jobId, marker, 2);
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertStoredOnce(jobId, a, b));
        // only the second marker is new
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(increase(countedOnce, counted(jobId)))
                .containsExactlyInAnyOrderEntriesOf(Map.of("Update/Skipped", 1.0)));
        assertThat(kafka.readAll(Topics.deadLetter(Topics.RESULTS),
                r -> r.value() != null && r.value().contains(jobId))).isEmpty();
    }

    /**
     * The job's result counters: {@code action/status} of {@link DetectorMeters#RESULTS} and {@code status/code} of
     * {@link DetectorMeters#RESULTS_BY_CODE}.
     */
    private Map<String, Double> counted(String jobId) {
        Map<String, Double> counted = new TreeMap<>();
        registry.find(DetectorMeters.RESULTS).tag(MeterTags.PROVISIONING_JOB, jobId).counters().forEach(c -> counted
                .put(c.getId().getTag("action") + "/" + c.getId().getTag("status"), c.count()));
        registry.find(DetectorMeters.RESULTS_BY_CODE).tag(MeterTags.PROVISIONING_JOB, jobId).counters().forEach(
                c -> counted.put(c.getId().getTag("status") + "/" + c.getId().getTag("code"), c.count()));
        return counted;
    }

    /** What grew from {@code before} to {@code after}, by how much. */
    private static Map<String, Double> increase(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> grown = new TreeMap<>();
        after.forEach((key, count) -> {
            double by = count - before.getOrDefault(key, 0.0);
            if (by != 0) {
                grown.put(key, by);
            }
        });
        return grown;
    }

    private void assertStoredOnce(String jobId, String a, String b) {
        Cycle first = cycles.find(a).await().atMost(Waits.OUTCOME).orElseThrow();
        assertThat(first.results()).isEqualTo(new Cycle.Results(4, 3, 1, true));
        assertThat(first.status()).isEqualTo(Cycle.Status.COMPLETED);
        assertThat(first.finishedAt()).isNotNull();
        Cycle second = cycles.find(b).await().atMost(Waits.OUTCOME).orElseThrow();
        assertThat(second.results()).isEqualTo(new Cycle.Results(3, 3, 1, true));
        assertThat(second.finishedAt()).isNotNull();
        assertThat(managedObjects.all(jobId).await().atMost(Waits.OUTCOME).objects()).containsOnlyKeys("u1", "u3",
                "u5");
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

    /**
     * One result of a poll that the database refuses (a NUL character in its name: SQLSTATE 22021, in the statement
     * that logs the whole run of results and in the one that upserts their managed objects) is dead-lettered with the
     * database's reason; the poll's other results are recorded, counted and managed.
     */
    @Test
    void aResultTheDatabaseRefusesIsDeadLetteredAndTheRestOfItsPollIsStored(@TempDir Path dir) throws Exception {
        String jobId = quietJob(dir);
        String cycleId = cycle(jobId, 4);
        ProvisioningResult good = result(jobId, cycleId, "u2", ProvisioningAction.Create, ProvisioningStatus.Success,
                null, null);
        ProvisioningResult poisoned = new ProvisioningResult(good.schemaVersion(), good.resultId(), jobId, cycleId,
                good.eventId(), good.objectType(), good.objectId(), good.targetId(), "User\u0000 u2", good.action(),
                good.status(), null, null, 201, 1, 5, List.of(), "test", Instant.now(), null, null);
        publish(List.of(
                result(jobId, cycleId, "u1", ProvisioningAction.Create, ProvisioningStatus.Success, null, null),
                poisoned,
                result(jobId, cycleId, "u3", ProvisioningAction.Create, ProvisioningStatus.Success, null, null),
                result(jobId, cycleId, "u4", ProvisioningAction.Update, ProvisioningStatus.Skipped, null, null)));
        passMarker(jobId, cycle(jobId, 100), 1);

        assertThat(cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().results())
                .isEqualTo(new Cycle.Results(3, 2, 0, true));
        assertThat(managedObjects.all(jobId).await().atMost(Waits.OUTCOME).objects()).containsOnlyKeys("u1", "u3");
        assertThat(log.counts(jobId, cycleId).await().atMost(Waits.OUTCOME))
                .containsExactlyInAnyOrderEntriesOf(Map.of("Create/Success", 2L, "Update/Skipped", 1L));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> {
            List<ConsumerRecord<String, String>> dead = kafka.readAll(Topics.deadLetter(Topics.RESULTS),
                    r -> r.value() != null && r.value().contains(jobId));
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).value()).contains(good.resultId());
            assertThat(new String(dead.get(0).headers().lastHeader("dead-letter-reason").value()))
                    .startsWith("the database refused the result").contains("22021");
        });
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
        return quietJob(dir, null);
    }

    /** {@link #quietJob(Path)} with its own cycle interval (ISO-8601), null for the tests' default. */
    private String quietJob(Path dir, String cycleInterval) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(0, 0));
        Map<String, Object> job = job(file, "On", TOKEN);
        if (cycleInterval != null) {
            job.put("cycleInterval", cycleInterval);
        }
        String jobId = create(job);
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
