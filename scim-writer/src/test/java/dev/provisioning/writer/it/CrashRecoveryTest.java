package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.Json;
import dev.provisioning.events.ModifiedProperty;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.messaging.Channels;
import dev.provisioning.writer.persistence.EscrowStore;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.persistence.WriterStore.Link;
import dev.provisioning.writer.provisioning.Outcome;
import dev.provisioning.writer.scim.UserRequests;
import dev.provisioning.writer.scim.UserState;

/**
 * What a writer killed mid-operation leaves behind, set up in its id map, then the operation delivered again as Kafka
 * redelivers it after the restart (issue 12: "a create that reached Druva before the crash is a Create, not 'Skipped,
 * no change'", and "the rest of that cycle cost 2 requests per user instead of 1"). The packaged writer killed for real
 * is {@code WriterCrashIT}.
 */
@QuarkusTest
class CrashRecoveryTest {

    @Inject
    Pool pool;

    @Inject
    WriterStore store;

    @Inject
    EscrowStore escrows;

    private DruvaScimServer druva;
    private String jobId;

    @BeforeEach
    void start() {
        druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN));
        jobId = unique("job");
        KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
    }

    @AfterEach
    void stop() {
        druva.close();
    }

    @Test
    void aCreateWhoseResultWasLostIsReportedAsTheCreateItWasWithoutAnyRequest() throws Exception {
        ScimOperation op = Fixtures.upsert(jobId, "obj-lost", Fixtures.user("lost", "Lo", "St"));
        String id = createDirectly(op);
        Outcome created = Outcome.success(ProvisioningAction.Create, id,
                new dev.provisioning.writer.scim.client.ScimAnswer(201, "", null, 1, null),
                List.of(new ModifiedProperty("userName", null, "lost@example.com")));
        // the writer stored the link with its outcome, then died before the result was recorded and published
        idMapRow(op.objectId(), id, desired(op), op.operationId(), Json.write(created), "cycle-1", false);
        int before = Sent.of(druva).size();

        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(result.targetId()).isEqualTo(id);
        assertThat(result.httpStatus()).isEqualTo(201);
        assertThat(Sent.of(druva)).hasSize(before);
    }

    @Test
    void aCreateThatReachedDruvaButWhoseAnswerWasLostIsReportedAsACreateWhenItIsMatchedAgain() throws Exception {
        ScimOperation op = Fixtures.upsert(jobId, "obj-sent", Fixtures.user("sent", "Se", "Nt"));
        // the writer marked the create as sent, Druva created the user, and the writer died before the answer
        idMapRow(op.objectId(), null, Map.of(), op.operationId(), null, "cycle-1", false);
        String id = createDirectly(op);
        int before = Sent.of(druva).size();

        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        // matched in the initial cycle's page, nothing to change: the user this operation created
        assertThat(Sent.of(druva).subList(before, Sent.of(druva).size())).extracting(Sent::method, Sent::query)
                .containsExactly(tuple("GET", "startIndex=1&count=100"));
        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(result.targetId()).isEqualTo(id);
        assertThat(druva.users()).hasSize(1);
    }

    @Test
    void aDeleteWhoseResultWasLostIsReportedAsTheDeleteItWas() throws Exception {
        ScimOperation delete = Fixtures.delete(jobId, "obj-gone");
        Outcome deleted = Outcome.success(ProvisioningAction.Delete, "druva-id-gone",
                new dev.provisioning.writer.scim.client.ScimAnswer(204, "", null, 1, null), List.of());
        idMapRow(delete.objectId(), "druva-id-gone", Map.of(), delete.operationId(), Json.write(deleted), "cycle-1",
                true);

        KafkaTopics.publishOperation(delete);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(delete));

        assertThat(result.action()).isEqualTo(ProvisioningAction.Delete);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(Sent.of(druva)).isEmpty();
    }

    /**
     * The id map keeps no copy of an operation's outcome (issue 13, fourteenth round): the result recorded with the
     * link in one statement is what a redelivery finds. A deferred operation released and carried out, whose writer
     * died after its result and link were committed but before its {@code escrow} row was removed, is released again:
     * it is answered with the result recorded then, sends nothing, and its row goes.
     */
    @Test
    void aDeferredOperationCarriedOutBeforeItsRowWasRemovedIsReportedAgainWithoutAnyRequest() throws Exception {
        ScimOperation op = Fixtures.upsert(jobId, "obj-deferred", Fixtures.user("deferred", "De", "Ferred"));
        String id = createDirectly(op);
        ProvisioningResult recorded = new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION, resultId(op), jobId,
                op.cycleId(), op.operationId(), op.objectType(), op.objectId(), id, op.displayName(),
                ProvisioningAction.Create, ProvisioningStatus.Success, null, null, 201, 1, 12L,
                List.of(new ModifiedProperty("userName", null, "deferred@example.com")), "scim-writer", Instant.now(),
                null, null);
        String escrowId = Escrowed.idOf(jobId, "USER", op.objectId());
        Instant deferredAt = Instant.now();
        escrows.defer(new Escrowed(escrowId, jobId, op.objectId(), op.operationId(), Json.write(op), 0, deferredAt,
                deferredAt.plusSeconds(3600), null, null, EscrowState.DEFERRED, null, op.createdAt(), null, null, null,
                null)).await().atMost(Waits.OUTCOME);
        store.markProcessed(recorded.resultId(), jobId, op.operationId(), Json.write(recorded),
                WriterStore.linking(jobId, "USER", op.objectId(), new Link(id, desired(op)), op.cycleId(),
                        new WriterStore.Mark(op.operationId(), null)))
                .await().atMost(Waits.OUTCOME);
        int before = Sent.of(druva).size();

        // released again: republished on its key as an escrow retry
        ProducerRecord<String, String> retry = new ProducerRecord<>(Topics.OPERATIONS, op.key(), Json.write(op));
        retry.headers().add(Channels.ESCROW_RETRY_HEADER, "1".getBytes(StandardCharsets.UTF_8));
        KafkaTopics.producer().send(retry).get();
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        assertThat(result).isEqualTo(recorded);
        assertThat(Sent.of(druva)).hasSize(before);
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(
                escrows.find(escrowId).await().atMost(Waits.OUTCOME)).isEmpty());
    }

    /** A completed operation's outcome is its recorded result: the id map marks the operation, without a copy. */
    @Test
    void aCreatedUsersIdMapRowNamesItsOperationWithoutACopyOfTheResult() {
        ScimOperation op = Fixtures.upsert(jobId, "obj-marked", Fixtures.user("marked", "Ma", "Rked"));

        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        var row = pool.preparedQuery("SELECT operation_id, outcome, target_id FROM id_map WHERE id = $1")
                .execute(Tuple.of(jobId + "/USER/" + op.objectId())).await().atMost(Waits.OUTCOME).iterator().next();
        assertThat(row.getString("operation_id")).isEqualTo(op.operationId());
        assertThat(row.getString("target_id")).isEqualTo(result.targetId());
        assertThat(row.getString("outcome")).isNull();
    }

    @Test
    void aWriterRestartedInTheMiddleOfAnInitialCycleGoesOnMatchingInBulkNotWithAGetPerUser() throws Exception {
        // users linked in this cycle before the restart: still the initial cycle
        idMapRow("obj-before-restart", "druva-id-1", Map.of(), "op-earlier", null, "cycle-1", false);
        ScimOperation op = Fixtures.upsert(jobId, "obj-after-restart", Fixtures.user("after", "Af", "Ter"));

        KafkaTopics.publishOperation(op);
        KafkaTopics.awaitResult(resultId(op));

        assertThat(Sent.of(druva)).extracting(Sent::method, Sent::query).containsExactly(
                tuple("GET", "startIndex=1&count=100"), tuple("POST", null));
    }

    @Test
    void aJobWithUsersLinkedInAnEarlierCycleMatchesEachNewUserWithAGet() throws Exception {
        idMapRow("obj-earlier", "druva-id-2", Map.of(), "op-earlier", null, "cycle-0", false);
        ScimOperation op = Fixtures.upsert(jobId, "obj-new", Fixtures.user("new", "Ne", "W"));

        KafkaTopics.publishOperation(op);
        KafkaTopics.awaitResult(resultId(op));

        assertThat(Sent.of(druva)).extracting(Sent::method, Sent::query).containsExactly(
                tuple("GET", "filter=userName eq \"new@example.com\""), tuple("POST", null));
    }

    private static Map<String, Object> desired(ScimOperation op) {
        return UserState.withDerived(UserState.normalize(op.attributes()));
    }

    /** Creates the operation's user in Druva over SCIM, with the body the writer sends. */
    private String createDirectly(ScimOperation op) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder()
                .uri(URI.create(druva.baseUrl() + "/Users"))
                .header("Authorization", "Bearer " + Fixtures.TOKEN)
                .header("Content-Type", "application/scim+json")
                .POST(HttpRequest.BodyPublishers.ofString(UserRequests.createBody(desired(op))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(201);
        return Json.mapper().readTree(response.body()).path("id").asText();
    }

    private void idMapRow(String objectId, String targetId, Map<String, Object> state, String operationId,
            String outcome, String firstCycleId, boolean deleted) {
        Tuple values = Tuple.tuple().addValue(jobId + "/USER/" + objectId).addValue(jobId).addValue("USER")
                .addValue(objectId).addValue(targetId).addValue(Json.write(state)).addValue(OffsetDateTime.now())
                .addValue(operationId).addValue(outcome).addValue(firstCycleId).addValue(deleted);
        pool.preparedQuery("INSERT INTO id_map (id, job_id, object_type, source_id, target_id, target_state, "
                + "updated_at, operation_id, outcome, first_cycle_id, deleted) "
                + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)").execute(values)
                .await().atMost(Waits.OUTCOME);
    }
}
