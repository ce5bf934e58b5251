package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.detector.TestJobs.result;
import static dev.provisioning.detector.TestJobs.send;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;
import dev.provisioning.mapping.MappingEngine;
import dev.provisioning.mapping.OperationPlanner;

/**
 * Issue 14 item 7: provision on demand and a cycle decide alike for the same object. The cycle side is the detector's
 * real cycle (its events on Kafka) planned as the mapper plans them ({@link OperationPlanner#plan} over the engine's
 * decision for the job's configuration from the jobs topic); the on-demand side is what the API answers and sends to
 * the scim-writer. Each case compares what is sent (operation kind, reason code, members) or, when nothing is sent,
 * the result (action, status, code), and both must equal the expected value of the table. The cases: create, update,
 * no email ({@code MandatoryFieldsMissing}), soft-deleted ({@code OutOfScope}), unassigned user and group
 * ({@code NotEffectivelyEntitled}: a disable, a delete), and a group with its members.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class OnDemandAgreesWithCyclesTest {

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
    void onDemandAndCyclesPlanTheSameOperationOrResult(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, directory(false));
        String token = "agree-token-" + System.nanoTime();
        // job A is off: its on-demand answers for objects it never saw; job B runs cycles on the same source
        String onDemandJob = create(job(file, "Off", token));
        String cycleJob = create(job(file, "On", token));
        answerEveryOperation(onDemandJob);
        answerEveryOperation(cycleJob);

        // case, object: expected on both sides
        Map<String, String> firstCycle = new LinkedHashMap<>();
        firstCycle.put("ann", "operation UPSERT null members []"); // create
        firstCycle.put("bob", "result Create/Failure/MandatoryFieldsMissing"); // no email
        firstCycle.put("sam", "operation DISABLE OutOfScope members []"); // soft-deleted
        firstCycle.put("sales", "operation UPSERT null members [ann, cy]"); // group with members
        List<AssignmentEvent> first = events(kafka, cycleJob, 6, e -> true);
        for (Map.Entry<String, String> c : firstCycle.entrySet()) {
            assertThat(onDemand(onDemandJob, c.getKey())).as("on demand: " + c.getKey()).isEqualTo(c.getValue());
            assertThat(cycle(cycleJob, first, c.getKey())).as("cycle: " + c.getKey()).isEqualTo(c.getValue());
        }
        first.forEach(e -> send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201)));

        // cy is renamed (an update of a user the job knows), dee loses its assignment (out of scope), and so does the
        // group Sales (a group has no active flag: it is deleted, with Entra's skip reason if Druva has no such group)
        Files.writeString(file, directory(true));
        List<AssignmentEvent> second = events(kafka, cycleJob, 3,
                e -> !e.cycleId().equals(first.get(0).cycleId()) && (List.of("cy", "dee").contains(e.objectId())
                        || e.objectId().equals("sales") && e.assignments().isEmpty()));
        Map<String, String> secondCycle = Map.of("cy", "operation UPSERT null members []", "dee",
                "operation DISABLE NotEffectivelyEntitled members []", "sales",
                "operation DELETE NotEffectivelyEntitled members [ann, cy]");
        for (Map.Entry<String, String> c : secondCycle.entrySet()) {
            assertThat(cycle(cycleJob, second, c.getKey())).as("cycle: " + c.getKey()).isEqualTo(c.getValue());
            assertThat(onDemand(cycleJob, c.getKey())).as("on demand: " + c.getKey()).isEqualTo(c.getValue());
        }
    }

    /** The on-demand answer: the operation sent to the writer for the object, or the result when none was sent. */
    private static String onDemand(String jobId, String objectId) {
        String path = "/jobs/" + jobId + "/operations";
        int before = WriterStub.bodies(path).size();
        JsonNode answer = Json.read(given().contentType(ContentType.JSON).body(Map.of("objectId", objectId))
                .post("/jobs/" + jobId + "/provision-on-demand").then().statusCode(200).extract().asString(),
                JsonNode.class);
        List<ScimOperation> sent = WriterStub.bodies(path).stream().skip(before)
                .map(b -> EventChecks.operation(Json.read(b, JsonNode.class).path("operation").toString()))
                .filter(op -> op.objectId().equals(objectId)).toList();
        if (sent.isEmpty()) {
            JsonNode r = answer.path("result");
            return "result " + r.path("action").asText() + "/" + r.path("status").asText() + "/"
                    + r.path("errorCode").asText();
        }
        assertThat(sent).hasSize(1);
        return describe(sent.get(0));
    }

    /** The cycle's event for the object, planned as the mapper plans it with the job's published configuration. */
    private static String cycle(String jobId, List<AssignmentEvent> events, String objectId) {
        AssignmentEvent event = events.stream().filter(e -> e.objectId().equals(objectId)).findFirst().orElseThrow();
        List<org.apache.kafka.clients.consumer.ConsumerRecord<String, String>> jobs = kafka.readAll(Topics.JOBS,
                r -> jobId.equals(r.key()) && r.value() != null);
        JobConfig config = EventChecks.job(jobs.get(jobs.size() - 1).value());
        OperationPlanner.Plan plan = OperationPlanner.plan(event, MappingEngine.compile(config).evaluate(event),
                Instant.now(), "mapper-service");
        if (plan.operation() == null) {
            ProvisioningResult r = plan.result();
            return "result " + r.action() + "/" + r.status() + "/" + r.errorCode();
        }
        return describe(plan.operation());
    }

    private static String describe(ScimOperation op) {
        return "operation " + op.kind() + " " + op.reasonCode() + " members " + op.members();
    }

    /** The writer stand-in answers every operation with its success (a create, a disable or a delete). */
    private static void answerEveryOperation(String jobId) {
        WriterStub.ANSWERS.put("/jobs/" + jobId + "/operations", body -> {
            ScimOperation op = EventChecks.operation(Json.read(body, JsonNode.class).path("operation").toString());
            ProvisioningAction action = op.kind() == OperationKind.UPSERT
                    ? ProvisioningAction.Create
                    : op.kind() == OperationKind.DISABLE ? ProvisioningAction.Disable : ProvisioningAction.Delete;
            return Json.write(new ProvisioningResult(1,
                    ProvisioningResult.idOf(op.jobId(), op.objectId(), op.cycleId(), op.operationId()), op.jobId(),
                    op.cycleId(), op.operationId(), op.objectType(), op.objectId(), "druva-" + op.objectId(),
                    op.displayName(), action, ProvisioningStatus.Success, null, null, 200, 1, 3, List.of(),
                    "scim-writer", Instant.now()));
        });
    }

    /**
     * ann, bob (no mail), cy, dee and sam (soft-deleted), each assigned directly, and the assigned group Sales with the
     * members ann and cy. {@code later}: cy is renamed, and dee and Sales are no longer assigned.
     */
    private static String directory(boolean later) {
        return """
                {"users": [
                  {"id": "ann", "userPrincipalName": "ann@x.test", "mail": "ann@x.test", "displayName": "Ann", "accountEnabled": true},
                  {"id": "bob", "userPrincipalName": "bob@x.test", "displayName": "Bob", "accountEnabled": true},
                  {"id": "cy", "userPrincipalName": "cy@x.test", "mail": "cy@x.test", "displayName": "%s", "accountEnabled": true},
                  {"id": "dee", "userPrincipalName": "dee@x.test", "mail": "dee@x.test", "displayName": "Dee", "accountEnabled": true},
                  {"id": "sam", "userPrincipalName": "sam@x.test", "mail": "sam@x.test", "displayName": "Sam", "accountEnabled": true,
                   "deletedDateTime": "2026-11-30T08:00:00Z"}],
                 "groups": [{"id": "sales", "displayName": "Sales", "members": ["ann", "cy"]}],
                 "assignments": [
                   {"principalId": "ann", "principalType": "User", "appRoleId": "r1"},
                   {"principalId": "bob", "principalType": "User", "appRoleId": "r1"},
                   {"principalId": "cy", "principalType": "User", "appRoleId": "r1"},
                   %s
                   {"principalId": "sam", "principalType": "User", "appRoleId": "r1"}%s]}
                """
                .formatted(later ? "Cy Renamed" : "Cy",
                        later ? "" : "{\"principalId\": \"dee\", \"principalType\": \"User\", \"appRoleId\": \"r1\"},",
                        later
                                ? ""
                                : ",{\"principalId\": \"sales\", \"principalType\": \"Group\", \"appRoleId\": \"r1\"}");
    }
}
