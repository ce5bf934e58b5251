package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

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
import dev.provisioning.writer.Waits;
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
