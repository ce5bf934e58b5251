package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.detector.TestJobs.result;
import static dev.provisioning.detector.TestJobs.send;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.io.IOException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.cycle.CycleClaiming;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.job.JobState;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * The database failing, or not answering, while a cycle ends or while cycles are claimed delays the cycle; it never
 * strands it. The faults are made by triggers in the real PostgreSQL the tests start: a serialization failure (SQLSTATE
 * 40001), the connection killed as a database restart kills it, and SQLSTATE 57P01 raised at ERROR severity, which the
 * PostgreSQL client (4.5) takes for a closed connection and never answers.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CycleFaultsTest {

    /** Looks for due cycles left unanswered: readiness is down from the {@value CycleClaiming#ATTEMPTS}th on. */
    static final int UNANSWERED = CycleClaiming.ATTEMPTS + 2;
    static TopicClient kafka;
    /** How long the writer of {@link #readsOfAFileWrittenInPlaceAreReadAgainAndNeverQuarantineTheJob} writes. */
    static final Duration WRITING = Duration.ofSeconds(20);

    @Inject
    Pool pool;
    @Inject
    CycleRepository cycles;
    /** The management interface (health): its own port. */
    @TestHTTPResource(value = "/", management = true)
    URL managementRoot;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    /**
     * The job's save that ends its first cycle (claim released, next cycle scheduled) is refused twice after the
     * cycle's events went out: a serialization failure, then the connection killed. The save is retried: the cycle is
     * not FAILED, its results complete it, and the job shows no error and no failed cycle.
     */
    @Test
    @Order(1)
    void theCyclesEndRefusedAfterItsEventsWentOutIsRetriedAndItsResultsCompleteIt(@TempDir Path dir)
            throws Exception {
        String jobId = jobOff(dir, 2);
        try (Trigger refusals = new Trigger(pool, "job", "FOR EACH ROW", "NEW.id = '" + jobId + "' AND "
                + "OLD.cycle_claim IS NOT NULL AND NEW.cycle_claim IS NULL AND NEW.last_error IS NULL",
                "IF n = 1 THEN " + Trigger.SERIALIZATION + " END IF; IF n = 2 THEN " + Trigger.KILLED + " END IF;")) {
            given().post("/jobs/" + jobId + "/start").then().statusCode(200);
            List<AssignmentEvent> emitted = events(kafka, jobId, 2, e -> true);
            String cycleId = emitted.get(0).cycleId();

            await().atMost(Waits.OUTCOME).until(() -> refusals.asked() >= 3);
            emitted.forEach(e -> send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null,
                    201)));
            await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(cycles.find(cycleId)
                    .await().atMost(Waits.OUTCOME).orElseThrow().finishedAt()).isNotNull());
            assertThat(cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().status())
                    .isEqualTo(Cycle.Status.COMPLETED);
        }
        given().get("/jobs/" + jobId + "/status").then().statusCode(200)
                .body("lastError", nullValue())
                .body("failedCyclesInARow", equalTo(0))
                .body("state", equalTo(JobState.ACTIVE.name()));
    }

    /**
     * Marking the cycle EMITTED is refused (serialization failures) until all its results are recorded: nobody found
     * the cycle complete when its results came in, as it was still RUNNING. Once the mark goes through, the cycle
     * runner finishes it.
     */
    @Test
    @Order(2)
    void aCycleWhoseResultsCameInBeforeItWasMarkedEmittedIsFinished(@TempDir Path dir) throws Exception {
        String jobId = jobOff(dir, 2);
        String cycleId;
        try (Trigger refusals = new Trigger(pool, "cycle", "FOR EACH ROW", "NEW.job_id = '" + jobId + "' AND "
                + "OLD.status = 'RUNNING' AND NEW.status = 'EMITTED'", Trigger.SERIALIZATION)) {
            given().post("/jobs/" + jobId + "/start").then().statusCode(200);
            List<AssignmentEvent> emitted = events(kafka, jobId, 2, e -> true);
            cycleId = emitted.get(0).cycleId();
            emitted.forEach(e -> send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null,
                    201)));
            await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(cycles.find(cycleId)
                    .await().atMost(Waits.OUTCOME).orElseThrow().results().received()).isEqualTo(2));
            assertThat(refusals.asked()).isPositive();
            assertThat(cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().stage())
                    .isEqualTo(Cycle.Stage.RUNNING);
        }
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(cycles.find(cycleId)
                .await().atMost(Waits.OUTCOME).orElseThrow().finishedAt()).isNotNull());
        assertThat(cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().status())
                .isEqualTo(Cycle.Status.COMPLETED);
        given().get("/jobs/" + jobId + "/status").then().statusCode(200)
                .body("lastError", nullValue())
                .body("failedCyclesInARow", equalTo(0));
    }

    /**
     * The first {@value #UNANSWERED} looks for due cycles are never answered (SQLSTATE 57P01 at ERROR severity): each
     * is given up after the claim wait, readiness {@value CycleClaiming#NAME} goes down after the
     * {@value CycleClaiming#ATTEMPTS}th, and the next look claims the job: its cycle runs and readiness is up again.
     */
    @Test
    @Order(3)
    void claimsTheDatabaseNeverAnswersAreGivenUpReadinessTellsItAndCyclesRunAfter(@TempDir Path dir)
            throws Exception {
        String jobId = jobOff(dir, 1);
        try (Trigger unanswered = new Trigger(pool, "job", "FOR EACH STATEMENT",
                "current_query() LIKE '%cycle_claim = gen_random_uuid()%'",
                "IF n <= " + UNANSWERED + " THEN " + Trigger.RAISED_SHUTDOWN + " END IF;")) {
            given().post("/jobs/" + jobId + "/start").then().statusCode(200);
            await().atMost(Waits.OUTCOME).untilAsserted(() -> readiness().statusCode(503)
                    .body("checks.find { it.name == '" + CycleClaiming.NAME + "' }.status", equalTo("DOWN")));
            events(kafka, jobId, 1, e -> true);
            assertThat(unanswered.asked()).isGreaterThan(UNANSWERED);
        }
        await().atMost(Waits.OUTCOME).untilAsserted(() -> readiness()
                .body("checks.find { it.name == '" + CycleClaiming.NAME + "' }.status", equalTo("UP")));
    }

    /**
     * A writer rewrites the job's directory file in place, slowly (16 KiB a millisecond), again and again for
     * {@link #WRITING}: the cycles read it half-written. Each such read is torn, not invalid: the job reads again soon
     * and counts no failed cycle, so it is neither quarantined nor shows an error, and once the writer is done the
     * change it wrote is emitted.
     */
    @Test
    @Order(4)
    void readsOfAFileWrittenInPlaceAreReadAgainAndNeverQuarantineTheJob(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(2, 2));
        String jobId = create(job(file, "On", "faults-token-" + System.nanoTime()));
        // their results in: the next cycles are not held back by this one
        events(kafka, jobId, 2, e -> true).forEach(e -> send(kafka, result(e, ProvisioningAction.Create,
                ProvisioningStatus.Success, null, 201)));

        // the same two users, padded: read whole, nothing changed; read half-way, not JSON
        String padded = TestJobs.users(2, 2).replaceFirst("\\[", "[" + " ".repeat(4 << 20));
        byte[] bytes = padded.getBytes(StandardCharsets.UTF_8);
        long until = System.nanoTime() + WRITING.toNanos();
        while (System.nanoTime() < until) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                for (int at = 0; at < bytes.length; at += 16 << 10) {
                    channel.write(ByteBuffer.wrap(bytes, at, Math.min(16 << 10, bytes.length - at)));
                    LockSupport.parkNanos(1_000_000);
                }
            }
        }
        Files.writeString(file, TestJobs.users(3, 3));

        AssignmentEvent added = events(kafka, jobId, 1, e -> e.objectId().equals("u2")).get(0);
        assertThat(added.change()).isEqualTo(ChangeKind.ADDED);
        given().get("/jobs/" + jobId + "/status").then().statusCode(200)
                .body("state", equalTo(JobState.ACTIVE.name()))
                .body("quarantine", nullValue())
                .body("lastError", nullValue())
                .body("failedCyclesInARow", equalTo(0));
        assertThat(pool.preparedQuery("SELECT count(*) FROM cycle WHERE job_id=$1 AND status='FAILED' AND error "
                + "LIKE 'the directory file changed while it was read%'").executeAndAwait(Tuple.of(jobId)).iterator()
                .next().getLong(0)).as("torn reads").isGreaterThanOrEqualTo(CycleClaiming.ATTEMPTS);
    }

    /**
     * Allowing held deletions: the release's events go out, then marking its cycle EMITTED is refused (serialization
     * failures) until all its results are recorded. The mark is retried: the administrator's call answers with the
     * release, the deletions are released (the job no longer holds them nor is quarantined), and the release cycle,
     * whose results came in while it was still RUNNING, is finished.
     */
    @Test
    @Order(5)
    void aReleaseOfHeldDeletionsWhoseMarkIsRefusedIsRetriedAndFinished(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        List<AssignmentEvent> initial = TestJobs.threeHeldDisables(kafka, file, "faults-token-" + System.nanoTime());
        String jobId = initial.get(0).jobId();
        try (Trigger refusals = new Trigger(pool, "cycle", "FOR EACH ROW", "NEW.job_id = '" + jobId + "' AND "
                + "OLD.status = 'RUNNING' AND NEW.status = 'EMITTED' AND NEW.events_emitted = 3",
                Trigger.SERIALIZATION)) {
            CompletableFuture<io.restassured.response.Response> allowed = CompletableFuture
                    .supplyAsync(() -> given().post("/jobs/" + jobId + "/allow-deletes"));
            List<AssignmentEvent> released = events(kafka, jobId, 3,
                    e -> !e.cycleId().equals(initial.get(0).cycleId()));
            String cycleId = released.get(0).cycleId();
            released.forEach(e -> send(kafka, result(e, ProvisioningAction.Disable, ProvisioningStatus.Success,
                    null, 200)));
            await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(cycles.find(cycleId)
                    .await().atMost(Waits.OUTCOME).orElseThrow().results().received()).isEqualTo(3));
            assertThat(refusals.asked()).isPositive();
            assertThat(cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().stage())
                    .isEqualTo(Cycle.Stage.RUNNING);
            assertThat(allowed).isNotDone();
            refusals.close();

            allowed.get(Waits.OUTCOME.toSeconds(), TimeUnit.SECONDS).then().statusCode(200)
                    .body("released", equalTo(3)).body("cycleId", equalTo(cycleId));
            assertThat(cycles.find(cycleId).await().atMost(Waits.OUTCOME).orElseThrow().status())
                    .isEqualTo(Cycle.Status.COMPLETED);
        }
        given().get("/jobs/" + jobId + "/status").then().statusCode(200)
                .body("heldDeletions", equalTo(0))
                .body("quarantine", nullValue());
    }

    /**
     * Deleting a job deadlocks with a concurrent transaction twice (its cascade over the job's rows against the results
     * consumer's writes, SQLSTATE 40P01, as the quick benchmark met it): PostgreSQL rolled the deletion back, and it is
     * run again. The administrator's DELETE answers 204 and the job is gone, not a 500.
     */
    @Test
    @Order(6)
    void aJobDeletionRolledBackForADeadlockIsRunAgain(@TempDir Path dir) throws Exception {
        String jobId = jobOff(dir, 1);
        try (Trigger deadlocks = new Trigger(pool, "DELETE", "job", "FOR EACH ROW", "OLD.id = '" + jobId + "'",
                "IF n <= 2 THEN " + Trigger.DEADLOCK + " END IF;")) {
            given().delete("/jobs/" + jobId).then().statusCode(204);
            assertThat(deadlocks.asked()).isEqualTo(3);
        }
        given().get("/jobs/" + jobId).then().statusCode(404);
    }

    /** A job that is off, whose directory file lists {@code users} users, all assigned. */
    private static String jobOff(Path dir, int users) throws IOException {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(users, users));
        return create(job(file, "Off", "faults-token-" + System.nanoTime()));
    }

    private io.restassured.response.ValidatableResponse readiness() {
        return given().get(managementRoot.getProtocol() + "://" + managementRoot.getAuthority() + "/q/health/ready")
                .then();
    }

    /**
     * A trigger on {@code table} that runs {@code refuse} (with {@code n}, how many times it was asked, from 1) before
     * each update (or delete) that {@code when} matches; removed on close.
     */
    static final class Trigger implements AutoCloseable {

        /** A serialization failure (SQLSTATE 40001). */
        static final String SERIALIZATION = "RAISE EXCEPTION 'refused by the test' USING ERRCODE = '40001';";
        /** The connection killed, as a database restart kills it (57P01 at FATAL severity, then closed). */
        static final String KILLED = "PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); "
                + "RAISE EXCEPTION 'refused by the test';";
        /** A deadlock (SQLSTATE 40P01): PostgreSQL rolled the transaction back for a concurrent one. */
        static final String DEADLOCK = "RAISE EXCEPTION 'deadlock made by the test' USING ERRCODE = '40P01';";
        /** SQLSTATE 57P01 at ERROR severity: the client (4.5) never answers the statement. */
        static final String RAISED_SHUTDOWN = "RAISE EXCEPTION 'refused by the test' USING ERRCODE = '57P01';";

        private final Pool pool;
        private final String table;
        private final String name = "fault_" + Long.toUnsignedString(System.nanoTime(), 36);

        Trigger(Pool pool, String table, String level, String when, String refuse) {
            this(pool, "UPDATE", table, level, when, refuse);
        }

        /** A trigger before each {@code event} ({@code UPDATE}, {@code DELETE}) on {@code table}. */
        Trigger(Pool pool, String event, String table, String level, String when, String refuse) {
            this.pool = pool;
            this.table = table;
            pool.query("CREATE SEQUENCE " + name).executeAndAwait();
            pool.query("CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE n bigint; "
                    + "BEGIN IF " + when + " THEN n := nextval('" + name + "'); " + refuse + " END IF; "
                    + "RETURN COALESCE(NEW, OLD); "
                    + "END $$").executeAndAwait();
            pool.query(
                    "CREATE TRIGGER " + name + " BEFORE " + event + " ON " + table + " " + level + " EXECUTE FUNCTION "
                            + name + "()")
                    .executeAndAwait();
        }

        /** How many updates the trigger matched. */
        long asked() {
            return pool.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + name).executeAndAwait()
                    .iterator().next().getLong(0);
        }

        @Override
        public void close() {
            pool.query("DROP TRIGGER IF EXISTS " + name + " ON " + table).executeAndAwait();
            pool.query("DROP FUNCTION IF EXISTS " + name + "()").executeAndAwait();
            pool.query("DROP SEQUENCE IF EXISTS " + name).executeAndAwait();
        }
    }
}
