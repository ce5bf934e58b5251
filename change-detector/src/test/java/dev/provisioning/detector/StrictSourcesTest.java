package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.detector.TestJobs.send;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;
import dev.provisioning.mapping.Decision;
import dev.provisioning.mapping.MappingEngine;

/**
 * Nothing lost to a bad source (issue 12, items 1 and 2; issue 14, item 1): a directory file that does not match its
 * schema fails the cycle with the JSON pointer of the problem and sends nothing; a read with no users is a failed read;
 * the deletion threshold, on by default, holds a delete-all of the demo directory; dangling references are counted and
 * logged as warnings; a directory file's app roles reach the mapping engine as roles.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class StrictSourcesTest {

    static final String TOKEN = "strict-token-" + System.nanoTime();
    static final Path DEMO_DIRECTORY = Path.of("../demo-launcher/src/main/resources/demo-directory.json");
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
    void aMisspelledUsersKeyDeletesNobodyAndFailsTheCycleWithThePointer(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(3, 3));
        String jobId = create(job(file, "On", TOKEN));
        List<AssignmentEvent> initial = events(kafka, jobId, 3, e -> true);
        initial.forEach(e -> send(kafka, success(e)));
        awaitCycle(jobId, "COMPLETED");

        // "Users" instead of "users": read as no users before, it deleted everyone
        Files.writeString(file, TestJobs.users(3, 3).replace("\"users\"", "\"Users\""));

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("currentCycle.status", equalTo("FAILED"))
                .body("currentCycle.error", containsString("does not match the directory schema"))
                .body("currentCycle.error", containsString("/Users: unknown key"))
                .body("currentCycle.error", containsString("/users: is required"))
                .body("lastError", containsString("/Users")));
        // nothing but the first cycle's events was sent: no delete, no disable
        assertThat(kafka.readAll(Topics.ASSIGNMENTS, r -> r.key().startsWith(jobId + "/")))
                .extracting(r -> EventChecks.assignment(r.value()).cycleId()).containsOnly(initial.get(0).cycleId());
        // a wrong type is reported by its pointer too, without the value
        Files.writeString(file,
                TestJobs.users(3, 3).replace("\"accountEnabled\": true", "\"accountEnabled\": \"yes\""));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("currentCycle.error", containsString("/users/0/accountEnabled: "))
                .body("currentCycle.error", containsString("boolean")));
        assertThat(kafka.readAll(Topics.ASSIGNMENTS, r -> r.key().startsWith(jobId + "/"))).hasSize(3);
    }

    /**
     * An unknown key with a NUL character (JSON allows it, PostgreSQL's text refuses it: SQLSTATE 22021) is named in the
     * cycle's error with the NUL replaced by U+FFFD: before, the failure could not be recorded, so the job showed no
     * error and its cycle was tried again at every lease.
     */
    @Test
    void anUnknownKeyWithANulCharacterFailsTheCycleWithItsPointer(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(1, 1).replaceFirst("\\{", "{\"x\\\\u0000\": 1, "));
        String jobId = create(job(file, "On", TOKEN));

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("currentCycle.status", equalTo("FAILED"))
                .body("currentCycle.error", containsString("/x\uFFFD: unknown key"))
                .body("lastError", containsString("/x\uFFFD")));
    }

    @Test
    void theDeletionThresholdAtItsDefaultsHoldsADeleteAllOfTheDemoDirectoryAndAnEmptyReadFails(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.copy(DEMO_DIRECTORY, file);
        // no deletionThreshold, no deletionThresholdPercent: the defaults
        String jobId = create(job(file, "On", TOKEN));
        given().get("/jobs/" + jobId).then().body("deletionThreshold", equalTo(500))
                .body("deletionThresholdPercent", equalTo(20));
        int emitted = awaitCycle(jobId, "IN_PROGRESS").path("eventsEmitted").asInt();
        List<AssignmentEvent> initial = events(kafka, jobId, emitted, e -> true);
        initial.forEach(e -> send(kafka, success(e)));
        String initialCycle = initial.get(0).cycleId();
        // by its id: users reached Druva and the job holds groups, so a follow-up cycle for the memberships starts
        // right after this one completes and becomes the current cycle (Entra's references step)
        awaitCompleted(jobId, initialCycle);
        // answered too: while it waits for its results no later cycle starts, and the edits below would never be
        // read (red with one core busy: the follow-up read the file before the test emptied it)
        JsonNode followUp = awaitCycleAfter(jobId, initialCycle);
        String followUpCycle = followUp.path("cycleId").asText();
        int followUpEvents = followUp.path("eventsEmitted").asInt();
        if (followUpEvents > 0) {
            events(kafka, jobId, followUpEvents, e -> e.cycleId().equals(followUpCycle))
                    .forEach(e -> send(kafka, success(e)));
        }
        awaitCompleted(jobId, followUpCycle);

        // an emptied source is a failed read, not a delete-all
        ObjectNode demo = (ObjectNode) Json.mapper().readTree(DEMO_DIRECTORY.toFile());
        ObjectNode empty = demo.deepCopy();
        empty.putArray("users");
        Files.writeString(file, Json.write(empty));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("currentCycle.status", equalTo("FAILED"))
                .body("currentCycle.error", containsString("the source returned no users")));

        // every assignment removed: every managed user and group would be disabled or deleted
        ObjectNode unassigned = demo.deepCopy();
        unassigned.putArray("assignments");
        Files.writeString(file, Json.write(unassigned));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("quarantine.reason", equalTo("DeletionThresholdExceeded"))
                .body("quarantine.detail", containsString("exceed the deletion threshold of 20 %")));
        // held and listed: every user and group the job manages that the engine would now disable or delete
        // (under Entra's count of 500: Okta's share tripped)
        JsonNode status = Json.mapper().readTree(given().get("/jobs/" + jobId + "/status").then().extract()
                .asString());
        int held = status.path("heldDeletions").asInt();
        assertThat(held).as("held of " + emitted).isGreaterThan(emitted * 9 / 10).isLessThan(500);
        List<String> heldIds = new java.util.ArrayList<>();
        status.path("heldObjects").forEach(h -> heldIds.add(h.path("objectId").asText()));
        assertThat(heldIds).hasSize(held).doesNotHaveDuplicates()
                .isSubsetOf(initial.stream().map(AssignmentEvent::objectId).toList());
        // nothing held was sent
        assertThat(kafka.readAll(Topics.ASSIGNMENTS, r -> r.key().startsWith(jobId + "/")
                && !List.of(initialCycle, followUpCycle).contains(EventChecks.assignment(r.value()).cycleId())))
                .extracting(r -> EventChecks.assignment(r.value()).objectId()).doesNotContainAnyElementsOf(heldIds);
        // emailed once: one DELETIONS_HELD for the notifier
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(kafka.readAll(Topics.JOB_STATES,
                r -> jobId.equals(r.key())).stream().map(r -> EventChecks.jobState(r.value()))
                .filter(s -> s.change() == JobStateChange.DELETIONS_HELD).toList())
                .singleElement().satisfies(s -> assertThat(s.count()).isEqualTo(held)));
    }

    @Test
    void danglingReferencesAreCountedInTheStatusAndLoggedAsWarnings(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, """
                {"_case": "a comment key loads",
                 "users": [{"id": "u1", "userPrincipalName": "a@x.test", "mail": "a@x.test", "accountEnabled": true}],
                 "groups": [{"id": "g1", "displayName": "Sales", "members": ["u1", "ghost-1", "ghost-2"]}],
                 "assignments": [{"principalId": "u1", "principalType": "User", "appRoleId": "r1"},
                                 {"principalId": "g1", "principalType": "Group", "appRoleId": "r1"},
                                 {"principalId": "gone", "principalType": "User", "appRoleId": "r1"}]}
                """);
        String jobId = create(job(file, "On", TOKEN));
        events(kafka, jobId, 2, e -> true);

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("currentCycle.danglingReferences", equalTo(2)));
        given().get("/jobs/" + jobId + "/logs?status=Warning").then().statusCode(200)
                .body("size()", equalTo(2))
                .body("errorCode", org.hamcrest.Matchers.everyItem(equalTo("DanglingReference")))
                .body("sourceId", org.hamcrest.Matchers.containsInAnyOrder("g1", "gone"))
                .body("find { it.sourceId == 'g1' }.reason", containsString("ghost-1, ghost-2"))
                .body("find { it.sourceId == 'gone' }.reason", containsString("/assignments/2"));
    }

    /**
     * A dangling reference's log entry names the id the file gave: with a NUL character in it (which JSON allows and
     * PostgreSQL's text refuses, SQLSTATE 22021) the entries were refused, so every cycle ended "emitted but not
     * recorded" and kept its claim. Now the NUL is replaced by U+FFFD and the cycle completes.
     */
    @Test
    void aDanglingReferenceWithANulCharacterIsLoggedAndTheCycleCompletes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, """
                {"users": [{"id": "u1", "userPrincipalName": "a@x.test", "mail": "a@x.test", "accountEnabled": true}],
                 "groups": [{"id": "g1", "displayName": "Sales", "members": ["u1", "ghost\\u0000-1"]}],
                 "assignments": [{"principalId": "g1", "principalType": "Group", "appRoleId": "r1"},
                                 {"principalId": "gone\\u0000", "principalType": "User", "appRoleId": "r1"}]}
                """);
        String jobId = create(job(file, "On", TOKEN));
        List<AssignmentEvent> emitted = events(kafka, jobId, 2, e -> true);
        emitted.forEach(e -> send(kafka, success(e)));

        awaitCompleted(jobId, emitted.get(0).cycleId());
        // (the follow-up cycle that sends the group's members logs them again)
        given().get("/jobs/" + jobId + "/logs?status=Warning").then().statusCode(200)
                .body("sourceId", org.hamcrest.Matchers.hasItems("g1", "gone\uFFFD"))
                .body("find { it.sourceId == 'g1' }.reason", containsString("ghost\uFFFD-1"));
    }

    /**
     * A user's displayName with a NUL character (JSON allows it; PostgreSQL's text refuses it, SQLSTATE 22021) reaches
     * the writer with U+FFFD in its place, the provisioning log shows a ValueReplaced warning naming the user and the
     * attribute, the cycle completes, and the next cycle on the unchanged file sends nothing: the snapshot stored the
     * user. Before, the snapshot's row was refused, so the cycle failed after its events went out.
     */
    @Test
    void aNulCharacterInAUsersDisplayNameIsReplacedLoggedAndSentOnce(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(2, 2).replace("\"User 0\"", "\"User\\u00000\""));
        String jobId = create(job(file, "On", TOKEN));
        List<AssignmentEvent> emitted = events(kafka, jobId, 2, e -> true);
        assertThat(emitted).filteredOn(e -> e.objectId().equals("u0")).singleElement()
                .satisfies(e -> assertThat(e.attributes()).containsEntry("displayName", "User\uFFFD0"));
        emitted.forEach(e -> send(kafka, success(e)));

        String cycleId = emitted.get(0).cycleId();
        awaitCompleted(jobId, cycleId);
        given().get("/jobs/" + jobId + "/logs?status=Warning").then().statusCode(200)
                .body("errorCode", org.hamcrest.Matchers.hasItem("ValueReplaced"))
                .body("find { it.errorCode == 'ValueReplaced' }.sourceId", equalTo("u0"))
                .body("find { it.errorCode == 'ValueReplaced' }.reason", containsString("displayName"));
        // the next cycles read the unchanged file: nothing more is sent for either user
        JsonNode next = awaitCycleAfter(jobId, cycleId);
        assertThat(next.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(next.path("eventsEmitted").asInt()).isZero();
        // a cycle that sent nothing completed when it was emitted: its completion time is known (not null, as it was
        // before for every quiet incremental cycle, which also held the job's last-completed gauge back)
        assertThat(next.path("completedAt").isTextual()).as("completedAt of %s", next).isTrue();
        assertThat(java.time.Instant.parse(next.path("completedAt").asText()))
                .isAfterOrEqualTo(java.time.Instant.parse(next.path("startedAt").asText()));
        assertThat(next.path("durationMillis").asLong(-1)).isNotNegative();
        assertThat(kafka.readAll(Topics.ASSIGNMENTS, r -> r.key().startsWith(jobId + "/"))).hasSize(2);
    }

    @Test
    void aDirectoryFilesAppRolesReachTheMappingEngineAsRoles(@TempDir Path dir) throws Exception {
        // field case 01 (../shared/field-cases): displayName <- SingleAppRoleAssignment([appRoleAssignments])
        Path file = dir.resolve("01-single-app-role-value.directory.json");
        try (InputStream in = resource("01-single-app-role-value.directory.json")) {
            Files.copy(in, file);
        }
        Map<String, Object> request;
        try (InputStream in = resource("01-single-app-role-value.job.json")) {
            request = Json.mapper().readValue(in, Map.class);
        }
        request.remove("_case");
        request.put("tenantUrl", "https://apis.druva.test/insync/scim");
        request.put("secretToken", TOKEN);
        request.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", file.toString()));
        String jobId = given().contentType(ContentType.JSON).body(request).post("/jobs").then().statusCode(201)
                .extract().path("id");

        AssignmentEvent event = events(kafka, jobId, 1, e -> true).get(0);
        assertThat(event.assignments()).singleElement().satisfies(a -> {
            assertThat(a.appRoleId()).isEqualTo("11111111-aaaa-4bbb-8ccc-000000000001");
            assertThat(a.appRoleDisplayName()).isEqualTo("Admin");
        });
        // the mapper's engine, with the job as the other services receive it: the POST's displayName is the role
        var jobs = kafka.readAll(Topics.JOBS, r -> jobId.equals(r.key()));
        JobConfig config = EventChecks.job(jobs.get(jobs.size() - 1).value());
        Decision decision = MappingEngine.compile(config).evaluate(event);
        assertThat(decision).isInstanceOfSatisfying(Decision.Upsert.class,
                upsert -> assertThat(upsert.attributes()).containsEntry("displayName", "Admin"));
    }

    private static InputStream resource(String name) {
        return StrictSourcesTest.class.getResourceAsStream("/field-cases/" + name);
    }

    /** Waits until the job's current cycle has {@code status}, and returns the status. */
    static JsonNode awaitCycle(String jobId, String status) {
        return awaitCurrentCycle(jobId, s -> status.equals(s.path("status").asText()));
    }

    /** Waits until a cycle other than {@code cycleId} is current and done emitting, and returns its status. */
    static JsonNode awaitCycleAfter(String jobId, String cycleId) {
        return awaitCurrentCycle(jobId,
                s -> !cycleId.equals(s.path("cycleId").asText()) && !"RUNNING".equals(s.path("status").asText()));
    }

    private static JsonNode awaitCurrentCycle(String jobId, java.util.function.Predicate<JsonNode> done) {
        JsonNode[] seen = new JsonNode[1];
        await().atMost(Waits.OUTCOME).until(() -> {
            seen[0] = Json.mapper().readTree(given().get("/jobs/" + jobId + "/status").then().statusCode(200)
                    .extract().asString()).path("currentCycle");
            return done.test(seen[0]);
        });
        return seen[0];
    }

    /** Waits until the job's cycle {@code cycleId} is COMPLETED, whichever cycle is current by then. */
    static void awaitCompleted(String jobId, String cycleId) {
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .statusCode(200).body("recentCycles.find { it.cycleId == '" + cycleId + "' }.status",
                        equalTo("COMPLETED")));
    }

    /** The writer's success for an event, of the event's type (a group is a group). */
    static ProvisioningResult success(AssignmentEvent e) {
        ProvisioningAction action = e.change() == ChangeKind.ADDED
                ? ProvisioningAction.Create
                : ProvisioningAction.Update;
        return new ProvisioningResult(1, ProvisioningResult.idOf(e.jobId(), e.objectId(), e.cycleId(), e.eventId()),
                e.jobId(), e.cycleId(), e.eventId(), e.objectType(), e.objectId(), "druva-" + e.objectId(),
                e.displayName(), action, ProvisioningStatus.Success, null, null, 201, 1, 5, List.of(), "test",
                Instant.now());
    }

    static Map<String, Object> jobWith(Path file, Map<String, Object> extra) {
        Map<String, Object> job = new HashMap<>(job(file, "On", TOKEN));
        job.putAll(extra);
        return job;
    }
}
