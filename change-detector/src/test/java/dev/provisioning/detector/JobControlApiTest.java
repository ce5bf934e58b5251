package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.detector.TestJobs.result;
import static dev.provisioning.detector.TestJobs.send;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.TargetNotManaged;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/** The control plane: delete, restart, test connection, provision on demand, and the 400s that name fields. */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class JobControlApiTest {

    /** OpenAPI is served on the management interface. */
    @TestHTTPResource(value = "/openapi", management = true)
    URL openapi;

    static final String TOKEN = "control-token-" + System.nanoTime();
    static TopicClient kafka;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void badValuesAreRefusedWithEachFieldNamed(@TempDir Path dir) {
        Map<String, Object> bad = new HashMap<>(job(dir.resolve("d.json"), "Off", TOKEN));
        bad.put("deletionThreshold", -1);
        bad.put("cycleInterval", "forty minutes");
        given().contentType(ContentType.JSON).body(bad).post("/jobs").then().statusCode(400)
                .body("errors.field", containsInAnyOrder("deletionThreshold", "cycleInterval"));

        String jobId = create(job(dir.resolve("d.json"), "Off", TOKEN));
        given().contentType(ContentType.JSON).body(Map.of("resetScope", List.of("Full", "Everything")))
                .post("/jobs/" + jobId + "/restart").then().statusCode(400)
                .body("errors.field", containsInAnyOrder("resetScope[1]"))
                .body("detail", startsWith("Invalid request: resetScope[1] must be one of "));
        given().contentType(ContentType.JSON).body(Map.of("tenantUrl", "druva")).post("/jobs/test-connection")
                .then().statusCode(400).body("errors.field", containsInAnyOrder("tenantUrl", "secretToken"));
        given().contentType(ContentType.JSON).body(Map.of()).post("/jobs/" + jobId + "/provision-on-demand")
                .then().statusCode(400).body("errors.field", containsInAnyOrder("objectId"));
    }

    @Test
    void putChangesEveryFieldAndKeepsTheTokenWhenAbsent(@TempDir Path dir) {
        String jobId = create(job(dir.resolve("d.json"), "Off", TOKEN));
        Map<String, Object> changed = new HashMap<>(job(dir.resolve("other.json"), "Off", null));
        changed.remove("secretToken");
        changed.put("name", "Renamed");
        changed.put("notificationEmail", "ops@example.test");
        changed.put("notifyOnFailure", false);
        changed.put("scope", "ALL");
        changed.put("patchDialect", "RFC_STRICT");
        changed.put("actions", Map.of("create", true, "update", true, "delete", false));
        changed.put("skipOutOfScopeDeletions", true);
        changed.put("cycleInterval", "PT1H");
        changed.put("deletionThreshold", 500);

        given().contentType(ContentType.JSON).body(changed).put("/jobs/" + jobId).then().statusCode(200);

        given().get("/jobs/" + jobId).then().statusCode(200)
                .body("name", equalTo("Renamed"))
                .body("notificationEmail", equalTo("ops@example.test"))
                .body("notifyOnFailure", equalTo(false))
                .body("scope", equalTo("ALL"))
                .body("patchDialect", equalTo("RFC_STRICT"))
                .body("actions.delete", equalTo(false))
                .body("skipOutOfScopeDeletions", equalTo(true))
                .body("source.directoryFile", equalTo(dir.resolve("other.json").toString()))
                .body("deletionThreshold", equalTo(500))
                .body("secretTokenConfigured", equalTo(true));

        // the token is kept only for the URL it was given for: a new tenant URL needs it again
        changed.put("tenantUrl", "https://govcloudapis.druva.com/insync/scim");
        given().contentType(ContentType.JSON).body(changed).put("/jobs/" + jobId).then().statusCode(400)
                .body("errors.field", equalTo(List.of("secretToken")));
        changed.put("secretToken", "token-for-govcloud");
        given().contentType(ContentType.JSON).body(changed).put("/jobs/" + jobId).then().statusCode(200)
                .body("tenantUrl", equalTo("https://govcloudapis.druva.com/insync/scim"));
    }

    @Test
    void deletingAJobPublishesItsTombstoneAndForgetsIt(@TempDir Path dir) {
        String jobId = create(job(dir.resolve("d.json"), "Off", TOKEN));

        given().delete("/jobs/" + jobId).then().statusCode(204);

        given().get("/jobs/" + jobId).then().statusCode(404);
        given().delete("/jobs/" + jobId).then().statusCode(404);
        List<ConsumerRecord<String, String>> records = kafka.readAll(Topics.JOBS, r -> jobId.equals(r.key()));
        assertThat(records).hasSizeGreaterThanOrEqualTo(2);
        assertThat(records.get(0).value()).isNotNull();
        assertThat(records.get(records.size() - 1).value()).as("the tombstone").isNull();
    }

    @Test
    void restartWithFullResetReEvaluatesEveryObject(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(2, 2));
        String jobId = create(job(file, "On", TOKEN));
        List<AssignmentEvent> first = events(kafka, jobId, 2, e -> true);
        first.forEach(e -> send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201)));

        String escrows = "/jobs/" + jobId + "/escrows";
        WriterStub.ANSWERS.put(escrows, body -> "{\"jobId\":\"" + jobId + "\",\"escrowed\":7,\"discarded\":3}");
        // the status shows the writer's count of escrowed and held objects, besides the escrowed objects the results
        // name (none here)
        given().get("/jobs/" + jobId + "/status").then().statusCode(200).body("writerEscrows", equalTo(7))
                .body("escrowedObjects", equalTo(0));

        given().contentType(ContentType.JSON).body(Map.of("resetScope", List.of("Full", "Escrows")))
                .post("/jobs/" + jobId + "/restart").then().statusCode(200)
                .body("resetScope", containsInAnyOrder("Full", "Escrows"))
                .body("notApplied", org.hamcrest.Matchers.empty())
                .body("job.state", equalTo("ACTIVE"));
        // the writer was asked to discard the job's escrows
        assertThat(WriterStub.REQUESTS).anySatisfy(r -> assertThat(r.path()).isEqualTo(escrows));

        // the next cycle is a full one that re-evaluates both users, though nothing changed in the source; Druva holds
        // them, so they are updates
        List<AssignmentEvent> again = events(kafka, jobId, 2, e -> !e.cycleId().equals(first.get(0).cycleId()));
        assertThat(again).extracting(AssignmentEvent::objectId).containsExactlyInAnyOrder("u0", "u1");
        assertThat(again).allSatisfy(e -> {
            assertThat(e.fullCycle()).isTrue();
            assertThat(e.change()).isEqualTo(ChangeKind.UPDATED);
        });
    }

    @Test
    void testConnectionAsksTheWriterForTheSavedJobByIdAndRevisionWithItsServiceTokenAndShowsItsAnswer(
            @TempDir Path dir) {
        String jobId = create(job(dir.resolve("d.json"), "Off", TOKEN));
        String path = "/jobs/" + jobId + "/connection-test";
        WriterStub.ANSWERS.put(path, body -> """
                {"success": false, "httpStatus": 401, "errorCode": "InvalidCredentials",
                 "message": "Druva rejected the secret token (HTTP 401): generate a new token in Druva"}""");

        given().post("/jobs/" + jobId + "/test-connection").then().statusCode(200)
                .body("success", equalTo(false))
                .body("httpStatus", equalTo(401))
                .body("errorCode", equalTo("InvalidCredentials"))
                .body("message", containsString("rejected the secret token"));

        // the writer is told which job and revision, never a token or a URL: it uses the job's own stored ones
        WriterStub.Request sent = WriterStub.requests(path).get(0);
        assertThat(read(sent.body()).path("expectedRevision").asLong()).isEqualTo(1);
        assertThat(sent.body()).doesNotContain(TOKEN).doesNotContain("ciphertext").doesNotContain("tenantUrl");
        // with a service token the detector got from the issuer by client credentials
        assertThat(sent.authorization()).startsWith("Bearer ");
        assertThat(WriterStub.ISSUED).contains(sent.authorization().substring("Bearer ".length()));

        // an unsaved configuration is tested with the administrator's token, in clear, sent to the writer alone
        WriterStub.ANSWERS.put("/connection-tests", body -> """
                {"success": true, "httpStatus": 200, "message": "Druva answered the test query"}""");
        int before = WriterStub.bodies("/connection-tests").size();
        given().contentType(ContentType.JSON)
                .body(Map.of("tenantUrl", "https://apis.druva.test/insync/scim", "secretToken", "unsaved-token"))
                .post("/jobs/test-connection").then().statusCode(200)
                .body("success", equalTo(true)).body("errorCode", nullValue());
        JsonNode unsaved = read(WriterStub.bodies("/connection-tests").get(before));
        assertThat(unsaved.path("tenantUrl").asText()).isEqualTo("https://apis.druva.test/insync/scim");
        assertThat(unsaved.path("secretToken").asText()).isEqualTo("unsaved-token");
    }

    @Test
    void aWriterThatCannotAnswerIsA502ThatSaysSo(@TempDir Path dir) {
        // no answer set for this job's path: the stand-in answers 500
        String jobId = create(job(dir.resolve("d.json"), "Off", TOKEN));

        given().post("/jobs/" + jobId + "/test-connection").then().statusCode(502)
                .contentType("application/problem+json")
                .body("title", equalTo("Bad Gateway"))
                .body("detail", containsString("the scim-writer answered HTTP 500"));
    }

    @Test
    void provisionOnDemandShowsImportScopeMatchAndAction(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file,
                """
                        {"users": [
                          {"id": "ann", "userPrincipalName": "ann@x.test", "mail": "ann@x.test", "displayName": "Ann", "accountEnabled": true},
                          {"id": "bob", "userPrincipalName": "bob@x.test", "displayName": "Bob", "accountEnabled": true},
                          {"id": "cy", "userPrincipalName": "cy@x.test", "mail": "cy@x.test", "displayName": "Cy", "accountEnabled": true},
                          {"id": "u3", "userPrincipalName": "u3@x.test"}, {"id": "u4", "userPrincipalName": "u4@x.test"},
                          {"id": "u5", "userPrincipalName": "u5@x.test"}, {"id": "u6", "userPrincipalName": "u6@x.test"}],
                         "groups": [{"id": "sales", "displayName": "Sales", "members": ["bob"]},
                                    {"id": "all", "displayName": "All", "members": ["ann", "bob", "u3", "u4", "u5", "u6"]}],
                         "assignments": [
                           {"principalId": "ann", "principalType": "User", "appRoleId": "r1"},
                           {"principalId": "sales", "principalType": "Group", "appRoleId": "r1"}]}
                        """);
        String jobId = create(job(file, "Off", TOKEN));
        String operations = "/jobs/" + jobId + "/operations";
        WriterStub.ANSWERS.put(operations, body -> {
            ScimOperation op = Json.mapper().convertValue(read(body).path("operation"), ScimOperation.class);
            return Json.write(new ProvisioningResult(1,
                    ProvisioningResult.idOf(op.jobId(), op.objectId(), op.cycleId(), op.operationId()), op.jobId(),
                    op.cycleId(), op.operationId(), op.objectType(), op.objectId(), "druva-42", op.displayName(),
                    ProvisioningAction.Create, ProvisioningStatus.Success, null, null, 201, 1, 12, List.of(),
                    "scim-writer", java.time.Instant.now()));
        });
        int before = WriterStub.bodies(operations).size();

        given().contentType(ContentType.JSON).body(Map.of("objectId", "ann"))
                .post("/jobs/" + jobId + "/provision-on-demand").then().statusCode(200)
                .body("steps.name", org.hamcrest.Matchers.contains("Import", "Scope", "Match", "Action"))
                .body("steps.status", org.hamcrest.Matchers.contains("Success", "Success", "Success", "Success"))
                .body("steps[2].detail", containsString("created"))
                .body("steps[3].detail", containsString("druva-42"))
                .body("result.action", equalTo("Create"));

        List<String> sent = WriterStub.bodies(operations);
        assertThat(sent).hasSize(before + 1);
        JsonNode request = read(sent.get(before));
        // the job's revision, not its configuration: the writer takes the tenant and token from its own copy
        assertThat(request.path("expectedRevision").asLong()).isEqualTo(1);
        assertThat(request.has("job")).isFalse();
        assertThat(request.toString()).doesNotContain(TOKEN).doesNotContain("ciphertext");
        ScimOperation op = EventChecks.operation(request.path("operation").toString());
        assertThat(op.objectId()).isEqualTo("ann");
        assertThat(op.kind().name()).isEqualTo("UPSERT");
        assertThat(op.attributes()).containsEntry("userName", "ann@x.test");

        // a group: its members first (a user Druva cannot take fails in the Action step, and nothing is sent for
        // it), then the group itself, with its members
        given().contentType(ContentType.JSON).body(Map.of("objectId", "sales"))
                .post("/jobs/" + jobId + "/provision-on-demand").then().statusCode(200)
                .body("objectType", equalTo("GROUP"))
                .body("members[0].objectId", equalTo("bob"))
                .body("members[0].steps.status",
                        org.hamcrest.Matchers.contains("Success", "Success", "Skipped", "Failure"))
                .body("members[0].steps[3].detail", containsString("MandatoryFieldsMissing"))
                .body("steps.name", org.hamcrest.Matchers.contains("Import", "Scope", "Match", "Action"))
                .body("steps[0].detail", containsString("members are provisioned first, then the group"))
                .body("steps[1].detail", containsString("the group is in scope"))
                .body("result.objectType", equalTo("GROUP"));
        List<String> afterGroup = WriterStub.bodies(operations);
        assertThat(afterGroup).hasSize(before + 2);
        ScimOperation groupOp = EventChecks.operation(read(afterGroup.get(before + 1)).path("operation").toString());
        assertThat(groupOp.objectType()).isEqualTo(ObjectType.GROUP);
        assertThat(groupOp.objectId()).isEqualTo("sales");
        assertThat(groupOp.attributes()).containsEntry("displayName", "Sales");
        assertThat(groupOp.members()).containsExactly("bob");

        // a group of more than five members, or an unknown id, is refused naming objectId
        given().contentType(ContentType.JSON).body(Map.of("objectId", "all"))
                .post("/jobs/" + jobId + "/provision-on-demand").then().statusCode(400)
                .body("errors[0].field", equalTo("objectId"))
                .body("errors[0].message", containsString("at most 5 members"))
                // the request is at fault, not the job's configuration
                .body("detail", equalTo("Invalid request: objectId group 'All' has 6 members: provision on demand "
                        + "takes a group with at most 5 members"));
        given().contentType(ContentType.JSON).body(Map.of("objectId", "nobody"))
                .post("/jobs/" + jobId + "/provision-on-demand").then().statusCode(400)
                .body("errors[0].message", containsString("no user or group with id 'nobody'"));

        // and the provisioning log shows what happened
        given().get("/jobs/" + jobId + "/logs?objectId=ann").then().statusCode(200)
                .body("[0].action", equalTo("Create")).body("[0].targetId", equalTo("druva-42"));
    }

    /**
     * A user out of scope that Druva never had (not assigned, outside the scoping filter, disabled in the source) stops
     * at the Scope step: Skipped with Entra's skip reason, and Match and Action Skipped (no "Success" after
     * Import), as the log detail shows the same record. The stand-in answers a DISABLE as the scim-writer does for an
     * object it does not manage ({@link TargetNotManaged}: a skipped Create).
     */
    @Test
    void provisionOnDemandOfAUserOutOfScopeThatDruvaNeverHadStopsAtScope(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file,
                """
                        {"users": [
                          {"id": "cy", "userPrincipalName": "cy@x.test", "mail": "cy@x.test", "displayName": "Cy", "accountEnabled": true},
                          {"id": "dee", "userPrincipalName": "dee@x.test", "mail": "dee@x.test", "displayName": "Dee", "accountEnabled": true},
                          {"id": "eve", "userPrincipalName": "eve@x.test", "mail": "eve@x.test", "displayName": "Eve", "accountEnabled": false}],
                         "assignments": [
                           {"principalId": "dee", "principalType": "User", "appRoleId": "r1"},
                           {"principalId": "eve", "principalType": "User", "appRoleId": "r1"}]}
                        """);
        Map<String, Object> config = new HashMap<>(job(file, "Off", TOKEN));
        config.put("userScopingFilters", List.of(Map.of("name", "not Dee", "clauses",
                List.of(Map.of("attribute", "userPrincipalName", "operator", "NOT_EQUALS", "value", "dee@x.test")))));
        String jobId = create(config);
        WriterStub.ANSWERS.put("/jobs/" + jobId + "/operations", body -> {
            ScimOperation op = Json.mapper().convertValue(read(body).path("operation"), ScimOperation.class);
            assertThat(op.kind()).isEqualTo(OperationKind.DISABLE);
            TargetNotManaged logged = TargetNotManaged.of(op);
            return Json.write(new ProvisioningResult(1,
                    ProvisioningResult.idOf(op.jobId(), op.objectId(), op.cycleId(), op.operationId()), op.jobId(),
                    op.cycleId(), op.operationId(), op.objectType(), op.objectId(), null, op.displayName(),
                    logged.action(), ProvisioningStatus.Skipped, logged.code(), logged.reason(), null, 0, 2, List.of(),
                    "scim-writer", java.time.Instant.now()));
        });

        // user, skip reason: not assigned, outside the scoping filter, disabled in the source
        Map<String, String> cases = Map.of("cy", "NotEffectivelyEntitled", "dee", "OutOfScope", "eve",
                "NotEffectivelyEntitled");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            given().contentType(ContentType.JSON).body(Map.of("objectId", c.getKey()))
                    .post("/jobs/" + jobId + "/provision-on-demand").then().statusCode(200)
                    .body("steps.name", org.hamcrest.Matchers.contains("Import", "Scope", "Match", "Action"))
                    .body("steps.status", org.hamcrest.Matchers.contains("Success", "Skipped", "Skipped", "Skipped"))
                    .body("steps[1].detail", startsWith(c.getValue() + ": not provisioned: "))
                    .body("steps[1].detail", org.hamcrest.Matchers.not(containsString("is in scope")))
                    .body("steps[2].detail", equalTo("Druva has no user managed by this job for it"))
                    .body("steps[3].detail", equalTo("not run: nothing is created for a user out of scope"))
                    .body("result.action", equalTo("Create")).body("result.status", equalTo("Skipped"))
                    .body("result.errorCode", equalTo(c.getValue()));
            // the record the log detail shows with Scope Skipped (logs.js steps(): a skipped Create, this code)
            given().get("/jobs/" + jobId + "/logs?objectId=" + c.getKey()).then().statusCode(200)
                    .body("[0].action", equalTo("Create")).body("[0].status", equalTo("Skipped"))
                    .body("[0].errorCode", equalTo(c.getValue()));
        }
    }

    @Test
    void theControlsAreDescribedOnOpenApi() {
        given().get(openapi + "?format=json").then().statusCode(200)
                .body("paths.keySet()", org.hamcrest.Matchers.hasItems("/jobs/{id}/restart", "/jobs/{id}/allow-deletes",
                        "/jobs/{id}/test-connection", "/jobs/test-connection", "/jobs/{id}/provision-on-demand"))
                .body("paths.'/jobs/{id}'.keySet()", org.hamcrest.Matchers.hasItems("get", "put", "delete"))
                .body("paths.'/jobs/{id}/restart'.post.description",
                        containsString("Escrows asks the scim-writer to discard"));
    }

    private static JsonNode read(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
