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

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobState;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/** Quarantine and the accidental-deletion threshold, as the administrator and the notifier see them. */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class SafetyNetsTest {

    /** Metrics are served on the management interface. */
    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    static final String TOKEN = "safety-token-" + System.nanoTime();
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
    void aRejectedTokenQuarantinesTheJobAtOnceUntilARetrySucceedsOrTheJobIsStarted(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(3, 3));
        String jobId = create(job(file, "On", TOKEN));
        List<AssignmentEvent> events = events(kafka, jobId, 3, e -> true);

        ProvisioningResult rejected = result(events.get(0), ProvisioningAction.Create, ProvisioningStatus.Failure,
                "InvalidCredentials", 401);
        send(kafka, rejected);
        send(kafka, rejected); // redelivered
        send(kafka, result(events.get(1), ProvisioningAction.Create, ProvisioningStatus.Failure,
                "InvalidCredentials", 401));

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .statusCode(200)
                .body("state", equalTo("QUARANTINED"))
                .body("quarantine.reason", equalTo("InvalidCredentials"))
                .body("quarantine.detail", org.hamcrest.Matchers.containsString("401")));
        // cycles slow down to once a day
        String next = given().get("/jobs/" + jobId + "/status").then().extract().path("nextCycleAt");
        assertThat(OffsetDateTime.parse(next)).isAfter(OffsetDateTime.now().plusHours(23));
        // the other services see the job quarantined
        await().atMost(Waits.OUTCOME).until(() -> lastConfigState(jobId) == JobState.QUARANTINED);
        // the notifier hears it once, though three results said so
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(states(jobId))
                .extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.TOKEN_REJECTED, JobStateChange.QUARANTINE_STARTED));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get(metrics).then()
                .body(org.hamcrest.Matchers.containsString(
                        "provisioning_detector_quarantined{provisioning_job=\"" + jobId
                                + "\",reason=\"InvalidCredentials\"} 1.0")));
        JobStateEvent started = states(jobId).get(1);
        assertThat(started.reasonCode()).isEqualTo("InvalidCredentials");
        assertThat(started.jobName()).isEqualTo("Druva test");

        // a successful retry decided after the quarantine began lifts it
        send(kafka, result(events.get(2), ProvisioningAction.Create, ProvisioningStatus.Success, null, 201));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("quarantine", nullValue()).body("state", equalTo("ACTIVE")));

        // rejected again later (a new occurrence, told again), then Start lifts it
        send(kafka, result(events.get(2), ProvisioningAction.Update, ProvisioningStatus.Failure, "InvalidCredentials",
                401));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("quarantine.reason", equalTo("InvalidCredentials")));
        given().post("/jobs/" + jobId + "/start").then().statusCode(200).body("state", equalTo("ACTIVE"));
        given().get("/jobs/" + jobId + "/status").then().body("quarantine", nullValue()).body("state",
                equalTo("ACTIVE"));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(states(jobId))
                .extracting(JobStateEvent::change).containsExactly(JobStateChange.TOKEN_REJECTED,
                        JobStateChange.QUARANTINE_STARTED, JobStateChange.QUARANTINE_LIFTED,
                        JobStateChange.TOKEN_REJECTED, JobStateChange.QUARANTINE_STARTED,
                        JobStateChange.QUARANTINE_LIFTED));
        assertThat(states(jobId)).extracting(JobStateEvent::eventId).doesNotHaveDuplicates();
        assertThat(lastConfigState(jobId)).isEqualTo(JobState.ACTIVE);
    }

    @Test
    void theDeletionThresholdHolds600DisablesAndReleasesThemOnAllowDeletes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(600, 600));
        Map<String, Object> job = new HashMap<>(job(file, "On", TOKEN));
        job.put("deletionThreshold", 500);
        String jobId = create(job);
        List<AssignmentEvent> initial = events(kafka, jobId, 600, e -> true);
        String initialCycle = initial.get(0).cycleId();
        for (AssignmentEvent e : initial) {
            send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201));
        }

        // all 600 users are unassigned
        Files.writeString(file, TestJobs.users(600, 0));

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("heldDeletions", equalTo(600))
                .body("quarantine.reason", equalTo("DeletionThresholdExceeded"))
                .body("currentCycle.summary.skipped", equalTo(600)));
        String heldCycle = given().get("/jobs/" + jobId + "/status").then().extract().path("currentCycle.cycleId");
        given().get("/jobs/" + jobId + "/logs?action=StagedDelete&limit=1000").then().statusCode(200)
                .body("size()", equalTo(600))
                .body("[0].status", equalTo("Skipped"))
                .body("[0].errorCode", equalTo("DeletionThresholdExceeded"))
                .body("[0].cycleId", equalTo(heldCycle));
        // nothing was sent to be disabled
        assertThat(kafka.readAll(Topics.ASSIGNMENTS, r -> r.key().startsWith(jobId + "/")
                && !EventChecks.assignment(r.value()).cycleId().equals(initialCycle))).isEmpty();
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(states(jobId))
                .filteredOn(s -> s.change() == JobStateChange.DELETIONS_HELD).singleElement()
                .satisfies(s -> assertThat(s.count()).isEqualTo(600)));

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get(metrics).then()
                .body(org.hamcrest.Matchers.containsString(
                        "provisioning_detector_deletions_held{provisioning_job=\"" + jobId + "\"} 600.0")));

        given().contentType(ContentType.JSON).post("/jobs/" + jobId + "/allow-deletes").then().statusCode(200)
                .body("released", equalTo(600));

        List<AssignmentEvent> released = events(kafka, jobId, 600,
                e -> !e.cycleId().equals(initialCycle));
        assertThat(released).extracting(AssignmentEvent::objectId).doesNotHaveDuplicates();
        assertThat(released).allSatisfy(e -> assertThat(e.assignments()).isEmpty());
        given().get("/jobs/" + jobId + "/status").then().body("heldDeletions", equalTo(0))
                .body("quarantine", nullValue());
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(states(jobId))
                .extracting(JobStateEvent::change)
                .contains(JobStateChange.DELETIONS_RELEASED, JobStateChange.QUARANTINE_LIFTED));
    }

    @Test
    void aHeldDisableIsForgottenWhenTheUserIsAssignedAgain(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        List<AssignmentEvent> initial = TestJobs.threeHeldDisables(kafka, file, TOKEN);
        String jobId = initial.get(0).jobId();

        // u0 is assigned again before anyone allowed the deletes: the cycle sends it, and its disable is no longer held
        Files.writeString(file, TestJobs.users(3, 1));
        given().post("/jobs/" + jobId + "/start").then().statusCode(200);
        AssignmentEvent reassigned = events(kafka, jobId, 4, e -> true).stream()
                .filter(e -> !e.cycleId().equals(initial.get(0).cycleId())).findFirst().orElseThrow();
        assertThat(reassigned.objectId()).isEqualTo("u0");
        assertThat(reassigned.assignments()).isNotEmpty();
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("heldDeletions", equalTo(2)));

        given().contentType(ContentType.JSON).post("/jobs/" + jobId + "/allow-deletes").then().statusCode(200)
                .body("released", equalTo(2));
        List<AssignmentEvent> released = events(kafka, jobId, 6, e -> true).stream()
                .filter(e -> !e.cycleId().equals(initial.get(0).cycleId())
                        && !e.cycleId().equals(reassigned.cycleId()))
                .toList();
        assertThat(released).extracting(AssignmentEvent::objectId).containsExactlyInAnyOrder("u1", "u2");
    }

    @Test
    void heldDeletionsRemoveNobodyFromAGroupUntilDeletesAreAllowed(@TempDir Path dir) throws Exception {
        // u0..u2 are in scope through the assigned group "team"; u1 and u2 then leave it: their disables are held,
        // and the group's new member list (u0 alone) would remove them from the group in Druva, so it waits too
        Path file = dir.resolve("directory.json");
        Files.writeString(file, team("u0", "u1", "u2"));
        Map<String, Object> job = new HashMap<>(job(file, "On", TOKEN));
        job.put("deletionThreshold", 1);
        job.put("cycleInterval", "PT1S");
        String jobId = create(job);
        for (AssignmentEvent e : events(kafka, jobId, 4, e -> true)) {
            send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201));
        }

        Files.writeString(file, team("u0"));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("heldDeletions", equalTo(2))
                .body("quarantine.reason", equalTo("DeletionThresholdExceeded")));
        // the source changes again while the deletions wait (a cycle runs: the file is watched); still no group change
        Files.writeString(file, team("u0").replace("\"Team\"", "\"Team A\""));
        given().post("/jobs/" + jobId + "/start").then().statusCode(200);
        await().during(java.time.Duration.ofSeconds(3)).atMost(Waits.OUTCOME).until(() -> teamEvents(jobId).stream()
                .noneMatch(e -> !e.members().contains("u1")));

        given().contentType(ContentType.JSON).post("/jobs/" + jobId + "/allow-deletes").then().statusCode(200)
                .body("released", equalTo(2));
        // the release cycle's disables are carried out; then the next cycle sends the group as the source has it
        for (AssignmentEvent e : events(kafka, jobId, 2,
                e -> e.objectType() == ObjectType.USER && e.assignments().isEmpty())) {
            send(kafka, result(e, ProvisioningAction.Disable, ProvisioningStatus.Success, null, 200));
        }
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(teamEvents(jobId))
                .anySatisfy(e -> {
                    assertThat(e.members()).containsExactly("u0");
                    assertThat(e.displayName()).isEqualTo("Team A");
                }));
    }

    /** u0..u2 with mail, and the group "team", assigned, with the given members. */
    private static String team(String... members) {
        String users = TestJobs.users(3, 0);
        return users.replace("\"groups\": []", "\"groups\": [{\"id\": \"team\", \"displayName\": \"Team\", "
                + "\"members\": [" + String.join(",", java.util.Arrays.stream(members).map(m -> "\"" + m + "\"")
                        .toList())
                + "]}]").replace("\"assignments\": []", "\"assignments\": [{\"principalId\": \"team\", "
                        + "\"principalType\": \"Group\", \"appRoleId\": \"r1\"}]");
    }

    private static List<AssignmentEvent> teamEvents(String jobId) {
        return kafka.readAll(Topics.ASSIGNMENTS, r -> (jobId + "/team").equals(r.key())).stream()
                .map(r -> EventChecks.assignment(r.value())).toList();
    }

    @Test
    void aRestartDiscardsHeldDeletionsAndLiftsTheQuarantine(@TempDir Path dir) throws Exception {
        String jobId = TestJobs.threeHeldDisables(kafka, dir.resolve("directory.json"), TOKEN).get(0).jobId();

        // the users come back before the restart, so the restart's own cycle (due within the job's 1 s interval)
        // holds nothing new: an allow-deletes after it would release deletions that cycle held, not the ones
        // discarded. Written after the restart, the file raced that cycle, which could read the three users still gone
        // and hold them again (CI, 2026-12-04: heldDeletions 3). The quarantined job runs no cycle before the restart
        // (detector.quarantine-interval, a day).
        Files.writeString(dir.resolve("directory.json"), TestJobs.users(3, 3));
        given().contentType(ContentType.JSON).body(Map.of("resetScope", List.of("Watermark")))
                .post("/jobs/" + jobId + "/restart").then().statusCode(200)
                .body("discardedDeletions", equalTo(3));

        given().get("/jobs/" + jobId + "/status").then().body("heldDeletions", equalTo(0))
                .body("quarantine", nullValue()).body("state", equalTo("ACTIVE"));
        given().contentType(ContentType.JSON).post("/jobs/" + jobId + "/allow-deletes").then().statusCode(200)
                .body("released", equalTo(0));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(states(jobId))
                .filteredOn(s -> s.change() == JobStateChange.DELETIONS_RELEASED).singleElement()
                .satisfies(s -> assertThat(s.reason()).contains("discarded by a restart")));
    }

    private static List<JobStateEvent> states(String jobId) {
        return kafka.readAll(Topics.JOB_STATES, r -> jobId.equals(r.key())).stream()
                .map(r -> EventChecks.jobState(r.value())).toList();
    }

    private static JobState lastConfigState(String jobId) {
        var records = kafka.readAll(Topics.JOBS, r -> jobId.equals(r.key()));
        return EventChecks.job(records.get(records.size() - 1).value()).state();
    }
}
