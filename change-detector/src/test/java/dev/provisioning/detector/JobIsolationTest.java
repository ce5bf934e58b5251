package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.graph.GraphCompatibleServer;
import dev.provisioning.graph.GraphDirectory.PrincipalType;
import dev.provisioning.graph.GraphRequest;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * Jobs isolated from each other (issue 12, item 3): a Graph job that Graph throttles with a long Retry-After waits
 * without holding a thread, and another job's cycle starts and emits meanwhile.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class JobIsolationTest {

    static final String TOKEN = "isolation-token-" + System.nanoTime();
    /** The wait the claims here are made with ({@code detector.claim-wait} in the tests). */
    static final Duration CLAIM_WAIT = Duration.ofSeconds(2);
    static TopicClient kafka;

    @Inject
    JobStore jobs;
    @Inject
    Pool pool;
    /** The jobs the running test made due ({@link #dueJobs}), parked after it. */
    String[] due = new String[0];

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void aThrottledGraphJobDoesNotDelayAnotherJobsCycleStartNorHoldAThread(@TempDir Path dir) throws Exception {
        try (GraphCompatibleServer graph = GraphCompatibleServer.start(GraphCompatibleServer.Options.defaults())) {
            String user = graph.directory().addUser(Map.of("userPrincipalName", "ada@contoso.example", "mail",
                    "ada@contoso.example", "accountEnabled", true));
            graph.directory().assign(user, PrincipalType.User, GraphCompatibleServer.DEFAULT_APP_ROLE);
            // Graph answers the next call 429 with a Retry-After of 90 s (Graph's documented values go that high)
            graph.throttleNext(1, Duration.ofSeconds(90));
            String throttled = given().contentType(ContentType.JSON).body(Map.of("name", "Graph (throttled)",
                    "tenantUrl", "https://apis.druva.test/insync/scim", "secretToken", TOKEN,
                    "provisioningStatus", "On", "cycleInterval", "PT1H",
                    "source", Map.of("type", "MICROSOFT_GRAPH", "graph", Map.of(
                            "tenantId", graph.options().tenantId(), "clientId", graph.options().clientId(),
                            "clientSecret", graph.options().clientSecret(),
                            "servicePrincipalId", graph.options().servicePrincipalId(),
                            "authorityUrl", graph.authorityUrl(), "graphUrl", graph.baseUrl()))))
                    .post("/jobs").then().statusCode(201).extract().path("id");
            await().atMost(Waits.OUTCOME)
                    .until(() -> graph.requests().stream().anyMatch(r -> r.status() == 429));

            // another job, created while the Graph job waits out its Retry-After
            Path file = dir.resolve("directory.json");
            Files.writeString(file, TestJobs.users(2, 2));
            String other = create(job(file, "On", TOKEN));
            List<AssignmentEvent> emitted = events(kafka, other, 2, e -> true);

            // its cycle started and emitted while the throttled job's cycle is still reading (waiting, not retried yet)
            assertThat(emitted).hasSize(2);
            given().get("/jobs/" + throttled + "/status").then().body("currentCycle.status",
                    org.hamcrest.Matchers.equalTo("RUNNING"));
            assertThat(graph.requests()).filteredOn(r -> r.path().startsWith("/v1.0"))
                    .extracting(GraphRequest::status).containsExactly(429);
            // and no thread waits for it: the backoff is a timer
            assertThat(Thread.getAllStackTraces().values()).noneSatisfy(stack -> assertThat(Arrays.stream(stack)
                    .anyMatch(frame -> frame.getClassName().contains("source.graph.GraphClient"))).isTrue());

            given().post("/jobs/" + throttled + "/pause").then().statusCode(200);
        }
    }

    /**
     * Two jobs' troubles that must not delay another job's due cycle. One job's row is held by another session (a slow
     * save of that job, an operator's transaction): the claim passes over it ({@code FOR UPDATE SKIP LOCKED}) instead
     * of waiting, and claims it once its row is free. Another job's row cannot be read (a quarantine reason this
     * version does not know): before, the claim failed as a whole, so the jobs claimed with it in the same statement
     * were started by nobody until their lease passed, again at every lease; now it alone is left out (logged and
     * counted in {@code provisioning.detector.jobs.unreadable}). The jobs are made due with a claim the scheduler still
     * takes as live (10 s old, its lease {@code detector.cycle-lease} is 30 s) and claimed here with a 5 s lease, so
     * the scheduler's own claims do not interfere.
     */
    @Test
    void aJobWhoseRowIsLockedOrUnreadableDoesNotHoldUpClaimingAnotherJobsDueCycle(@TempDir Path dir)
            throws Exception {
        String[] ids = dueJobs(dir, 3);
        String held = ids[0];
        String unreadable = ids[1];
        String free = ids[2];
        pool.preparedQuery("UPDATE job SET quarantine_reason = 'NoSuchReason' WHERE id = $1")
                .executeAndAwait(Tuple.of(unreadable));

        try (HeldRow holder = holdingRow(held)) {
            List<String> claimed = jobs.claimDue(Duration.ofSeconds(5), 1000, CLAIM_WAIT).await().atMost(Waits.OUTCOME)
                    .stream()
                    .map(ProvisioningJob::id).filter(List.of(held, unreadable, free)::contains).toList();
            assertThat(claimed).as("claimed while one job's row is locked and another's unreadable")
                    .containsExactly(free);

            holder.release();
            assertThat(jobs.claimDue(Duration.ofSeconds(5), 1000, CLAIM_WAIT).await().atMost(Waits.OUTCOME))
                    .extracting(ProvisioningJob::id).contains(held).doesNotContain(free, unreadable);
        }
    }

    /**
     * A lock the claim cannot pass over: the {@code job} table's, held by a session that is stuck (a {@code CREATE
     * INDEX} or {@code LOCK TABLE} left in an open transaction; {@code SHARE} mode is what {@code CREATE INDEX} holds).
     * Before, the claim waited in the database for as long as the lock was held, after its caller had given up
     * ({@code detector.claim-wait}): each later look left one more pool connection waiting. Now the database gives up
     * within the wait (lock_timeout, SQLSTATE 55P03) and the claim fails; while only a job's row is held, the claim
     * passes over it and answers the other job; once the session lets go, the next claim answers both. Two real
     * connections: the test's holder and the store's pool.
     */
    @Test
    void aClaimDoesNotWaitInTheDatabaseLongerThanItsCallerForALockHeldByAStuckSession(@TempDir Path dir)
            throws Exception {
        String[] ids = dueJobs(dir, 2);
        String held = ids[0];
        String free = ids[1];

        try (HeldRow holder = holdingRow(held)) {
            assertThat(claimed(held, free)).as("claimed while one job's row is held").containsExactly(free);

            pool.preparedQuery(MAKE_DUE).executeAndAwait(Tuple.of(new String[]{free}));
            holder.session().query("LOCK TABLE job IN SHARE MODE").executeAndAwait();
            assertThatThrownBy(() -> jobs.claimDue(Duration.ofSeconds(5), 1000, CLAIM_WAIT).await()
                    .atMost(Waits.OUTCOME)).as("a claim while the job table is locked")
                    .isInstanceOfSatisfying(PgException.class,
                            e -> assertThat(e.getSqlState()).as("lock_not_available").isEqualTo("55P03"));

            holder.release();
            assertThat(claimed(held, free)).as("claimed once the session let go").containsExactlyInAnyOrder(held, free);
        }
    }

    /**
     * Another session that holds a job's row ({@code FOR UPDATE} in an open transaction: a slow save of that job, an
     * operator's transaction) until it is released; closing it closes the session (releasing what it still holds).
     */
    private HeldRow holdingRow(String id) {
        SqlConnection session = pool.getConnectionAndAwait();
        try {
            Transaction tx = session.beginAndAwait();
            session.preparedQuery("SELECT id FROM job WHERE id = $1 FOR UPDATE").executeAndAwait(Tuple.of(id));
            return new HeldRow(session, tx);
        } catch (RuntimeException e) {
            session.closeAndAwait();
            throw e;
        }
    }

    /** A session holding a job's row ({@link #holdingRow}). */
    private record HeldRow(SqlConnection session, Transaction tx) implements AutoCloseable {

        /** Lets go of the row (and of anything else the session took meanwhile): rolls its transaction back. */
        void release() {
            tx.rollbackAndAwait();
        }

        @Override
        public void close() {
            session.closeAndAwait();
        }
    }

    /** Parks the jobs the test made due: paused, readable, unclaimed; the scheduler leaves them alone. */
    @AfterEach
    void parkDueJobs() {
        if (due.length > 0) {
            pool.preparedQuery("UPDATE job SET state = 'PAUSED', quarantine_reason = NULL, cycle_claimed_at = NULL, "
                    + "cycle_claim = NULL WHERE id = ANY($1)").executeAndAwait(Tuple.of(due));
            due = new String[0];
        }
    }

    /** Which of {@code ids} a claim with a 5 s lease claims (the scheduler's lease is 30 s: see above). */
    private List<String> claimed(String... ids) {
        return jobs.claimDue(Duration.ofSeconds(5), 1000, CLAIM_WAIT).await().atMost(Waits.OUTCOME).stream()
                .map(ProvisioningJob::id).filter(List.of(ids)::contains).toList();
    }

    /**
     * Makes jobs ACTIVE with their cycle due and a claim the scheduler still takes as live (10 s old, its lease
     * {@code detector.cycle-lease} is 30 s), which the tests' 5 s lease takes over.
     */
    static final String MAKE_DUE = "UPDATE job SET state = 'ACTIVE', next_cycle_at = now(), cycle_claimed_at = now() - "
            + "interval '10 seconds', cycle_claim = 'elsewhere' WHERE id = ANY($1)";

    /** Creates {@code n} jobs, waits until their configurations are published (a job is claimed only then), makes them due. */
    private String[] dueJobs(Path dir, int n) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(1, 1));
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) {
            ids[i] = create(job(file, "Off", TOKEN));
        }
        Tuple all = Tuple.of(ids);
        await().atMost(Waits.OUTCOME).until(() -> pool.preparedQuery("SELECT count(*) FROM job_outbox WHERE "
                + "job_id = ANY($1) AND sent_at IS NULL").executeAndAwait(all).iterator().next().getLong(0) == 0);
        pool.preparedQuery(MAKE_DUE).executeAndAwait(all);
        due = ids;
        return ids;
    }
}
