package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.persistence.ProcessedOperationPurge;
import dev.provisioning.writer.persistence.WriterStore;

/**
 * The retention of {@code processed_operation} on the real PostgreSQL (test profile: retention 30 days, 10 rows per
 * delete statement). The scheduled purge is paused; the test runs the purge itself.
 */
@QuarkusTest
class ProcessedOperationPurgeTest {

    /** Metrics are served on the management interface. */
    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Inject
    ProcessedOperationPurge purge;

    @Inject
    WriterStore store;

    @Inject
    Pool pool;

    @Inject
    Scheduler scheduler;

    @Inject
    MeterRegistry registry;

    private String jobId;

    @BeforeEach
    void pauseTheScheduledPurge() {
        scheduler.pause(ProcessedOperationPurge.JOB);
        purge.purge().await().atMost(Waits.OUTCOME); // nothing beyond the retention is left from elsewhere
        jobId = unique("job");
    }

    @AfterEach
    void resumeTheScheduledPurge() {
        scheduler.resume(ProcessedOperationPurge.JOB);
    }

    @Test
    void rowsOlderThanTheRetentionArePurgedInBatchesAndARecentOperationIsStillRecognisedOnRedelivery() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            // two operations carried out by the writer; one of them is then made 31 days old
            ScimOperation recentOp = Fixtures.upsert(jobId, "obj-recent", Fixtures.user("rita", "Rita", "Recent"));
            ScimOperation oldOp = Fixtures.upsert(jobId, "obj-old", Fixtures.user("otto", "Otto", "Old"));
            ProvisioningResult recent = execute(druva, recentOp);
            execute(druva, oldOp);
            assertThat(recent.action()).isEqualTo(ProvisioningAction.Create);
            age(resultId(oldOp), 31);
            // and more rows: 24 beyond the retention, 3 within it (one a day short of it)
            List<String> old = new ArrayList<>(List.of(resultId(oldOp)));
            for (int i = 0; i < 24; i++) {
                old.add(insert("old-" + i, i % 2 == 0 ? 31 : 400));
            }
            Set<String> kept = new HashSet<>(Set.of(resultId(recentOp), insert("new-29d", 29), insert("new-1d", 1),
                    insert("new-now", 0)));
            double purgedBefore = purgedCounter();

            long purged = purge.purge().await().atMost(Waits.OUTCOME);

            assertThat(purged).isEqualTo(25); // three statements: 10, 10, 5
            assertThat(resultIdsOfJob()).containsExactlyInAnyOrderElementsOf(kept);
            assertThat(old).allSatisfy(id -> assertThat(processedResult(id)).isEmpty());
            assertThat(processedResult(resultId(recentOp))).hasValueSatisfying(json -> assertThat(
                    Json.read(json, ProvisioningResult.class).resultId()).isEqualTo(recent.resultId()));
            assertThat(purgedCounter() - purgedBefore).isEqualTo(25.0);
            assertThat(RestAssured.get(metrics).asString()).contains("scim_writer_processed_purged_total");

            // the recent operation, redelivered: its stored result again, nothing sent to Druva
            int requests = druva.requests().size();
            ProvisioningResult again = execute(druva, recentOp);
            assertThat(again.resultId()).isEqualTo(recent.resultId());
            assertThat(again.action()).isEqualTo(ProvisioningAction.Create);
            assertThat(again.status()).isEqualTo(ProvisioningStatus.Success);
            assertThat(again.targetId()).isEqualTo(recent.targetId());
            assertThat(druva.requests()).hasSize(requests);

            // nothing left to purge
            assertThat(purge.purge().await().atMost(Waits.OUTCOME)).isZero();
        }
    }

    @Test
    void concurrentPurgesDeleteEveryOldRowExactlyOnce() {
        for (int i = 0; i < 45; i++) {
            insert("old-" + i, 40);
        }
        String recent = insert("new", 2);

        List<Long> counts = Uni.combine().all().unis(purge.purge(), purge.purge(), purge.purge())
                .with(Long.class, list -> list).await().atMost(Waits.OUTCOME);

        assertThat(counts.stream().mapToLong(Long::longValue).sum()).isEqualTo(45);
        assertThat(resultIdsOfJob()).containsExactly(recent);
    }

    private ProvisioningResult execute(DruvaScimServer druva, ScimOperation op) {
        KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
        var body = Map.of("expectedRevision", 1, "operation", op);
        String json = RestAssured.given().auth().oauth2(Fixtures.serviceToken()).contentType(ContentType.JSON)
                .body(Json.write(body)).post("/jobs/" + jobId + "/operations").then().statusCode(200).extract()
                .asString();
        return Json.read(json, ProvisioningResult.class);
    }

    /** Records a processed operation of the job, processed that many days ago; returns its result id. */
    private String insert(String name, int daysAgo) {
        String id = jobId + "/" + name;
        pool.preparedQuery("INSERT INTO processed_operation (result_id, job_id, operation_id, result_json, "
                + "processed_at) VALUES ($1, $2, $3, '{}', now() - make_interval(days => $4))")
                .execute(Tuple.of(id, jobId, name, daysAgo)).await().atMost(Waits.OUTCOME);
        return id;
    }

    private void age(String resultId, int days) {
        int updated = pool.preparedQuery("UPDATE processed_operation SET processed_at = now() - make_interval(days "
                + "=> $2) WHERE result_id = $1").execute(Tuple.of(resultId, days)).await().atMost(Waits.OUTCOME)
                .rowCount();
        assertThat(updated).isOne();
    }

    private List<String> resultIdsOfJob() {
        List<String> ids = new ArrayList<>();
        pool.preparedQuery("SELECT result_id FROM processed_operation WHERE job_id = $1").execute(Tuple.of(jobId))
                .await().atMost(Waits.OUTCOME).forEach(row -> ids.add(row.getString(0)));
        return ids;
    }

    /** The lookup a redelivered operation goes through ({@link WriterStore} needs a Vert.x context). */
    private Optional<String> processedResult(String resultId) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> store.processedResult(resultId));
        } catch (Throwable e) {
            throw new AssertionError("lookup of " + resultId + " failed", e);
        }
    }

    private double purgedCounter() {
        return registry.get("scim.writer.processed.purged").counter().count();
    }
}
