package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.detector.TestJobs.result;
import static dev.provisioning.detector.TestJobs.send;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * Issue 14 item 6: the provisioning log names an object gone from the source by the name it had, as Entra's log does
 * for every action, Delete included (concept-provisioning-logs.md, "What do the logs show?": "Identity: The display
 * name and source ID of the identity being provisioned"), not by its object id (the source id stays in its own field). The family: a user and a group hard-deleted in the source (the event carries the snapshot's
 * name), and a result that arrives without a name (an object removed while the snapshot was cleared, or a writer that
 * sent the id) is logged with the name Druva was last sent. Out-of-scope, unassigned and soft-deleted objects are
 * still in the source, so their events carry their attributes and need nothing more.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class LastKnownNameTest {

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
    void aDeletedUserOrGroupIsLoggedByTheNameItHad(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, directory(true));
        String jobId = create(job(file, "On", "names-token-" + System.nanoTime()));
        List<AssignmentEvent> created = events(kafka, jobId, 4, e -> true);
        created.forEach(e -> send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201)));
        Awaitility.await().atMost(Waits.OUTCOME).untilAsserted(() -> given()
                .get("/jobs/" + jobId + "/logs?objectId=u2").then().body("[0].displayName", equalTo("Lee Two")));

        // Lee One, Lee Two and the group Sales are hard-deleted in the source. The first cycle may already have
        // started a follow-up cycle (the group's members, once Druva holds them) before the file changes: every event
        // after the first cycle is answered, so no unanswered cycle holds the deletions back.
        String firstCycle = created.get(0).cycleId();
        Files.writeString(file, directory(false));
        Set<String> answered = new HashSet<>();
        List<AssignmentEvent> deleted = new ArrayList<>();
        Awaitility.await().atMost(Waits.OUTCOME).pollInterval(Duration.ofMillis(500)).until(() -> {
            for (ConsumerRecord<String, String> r : kafka.readAll(Topics.ASSIGNMENTS,
                    r -> r.key() != null && r.key().startsWith(jobId + "/"))) {
                AssignmentEvent e = EventChecks.assignment(r.value());
                if (e.cycleId().equals(firstCycle) || !answered.add(e.eventId())) {
                    continue;
                }
                if (e.change() != ChangeKind.HARD_DELETED) {
                    send(kafka, result(e, ProvisioningAction.Update, ProvisioningStatus.Success, null, 200));
                    continue;
                }
                deleted.add(e);
                ProvisioningResult delete = result(e, ProvisioningAction.Delete, ProvisioningStatus.Success, null, 204);
                if (e.objectId().equals("u2")) {
                    // as the writer reports an operation whose event did not know the name: the object id
                    delete = new ProvisioningResult(1, delete.resultId(), delete.jobId(), delete.cycleId(),
                            delete.eventId(), delete.objectType(), delete.objectId(), delete.targetId(), "u2",
                            delete.action(), delete.status(), null, null, 204, 1, 5, List.of(), "test",
                            Instant.now());
                }
                send(kafka, delete);
            }
            return deleted.size() >= 3;
        });
        assertThat(deleted).extracting(AssignmentEvent::objectId).containsExactlyInAnyOrder("u1", "u2", "sales");

        for (String[] expected : new String[][]{{"u1", "Lee One"}, {"u2", "Lee Two"}, {"sales", "Sales"}}) {
            Awaitility.await().atMost(Waits.OUTCOME).untilAsserted(() -> given()
                    .get("/jobs/" + jobId + "/logs?objectId=" + expected[0]).then().statusCode(200)
                    .body("[0].action", equalTo("Delete"))
                    .body("[0].status", equalTo("Success"))
                    .body("[0].displayName", equalTo(expected[1])));
        }
    }

    /** Lee Zero, assigned; with {@code all}, also Lee One, Lee Two and the group Sales (member Lee Zero), assigned. */
    private static String directory(boolean all) {
        String gone = all ? """
                ,{"id": "u1", "userPrincipalName": "one@x.test", "mail": "one@x.test", "displayName": "Lee One",
                  "accountEnabled": true},
                 {"id": "u2", "userPrincipalName": "two@x.test", "mail": "two@x.test", "displayName": "Lee Two",
                  "accountEnabled": true}""" : "";
        String goneAssignments = all ? """
                ,{"principalId": "u1", "principalType": "User", "appRoleId": "r1"},
                 {"principalId": "u2", "principalType": "User", "appRoleId": "r1"},
                 {"principalId": "sales", "principalType": "Group", "appRoleId": "r1"}""" : "";
        return """
                {"users": [{"id": "u0", "userPrincipalName": "zero@x.test", "mail": "zero@x.test",
                            "displayName": "Lee Zero", "accountEnabled": true}%s],
                 "groups": [%s],
                 "assignments": [{"principalId": "u0", "principalType": "User", "appRoleId": "r1"}%s]}
                """.formatted(gone, all ? "{\"id\": \"sales\", \"displayName\": \"Sales\", \"members\": [\"u0\"]}" : "",
                goneAssignments);
    }
}
