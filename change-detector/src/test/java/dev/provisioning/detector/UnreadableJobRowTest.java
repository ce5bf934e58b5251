package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.safety.JobGauges;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * One job row this version cannot read (a configuration that no longer parses: a scope an older or newer version
 * wrote; a quarantine reason it does not know) beside readable ones, on the real PostgreSQL. Before, every read of the
 * job rows mapped all of them or failed: {@code GET /jobs} answered 500 for everybody's jobs, and the job gauges lost
 * every job's series at once. Now each read handles such a row in the same way: {@code GET /jobs} answers 200, the
 * readable jobs as before and the unreadable one with its id, name, state and a problem naming the field;
 * {@code GET /jobs/{id}} and the job's other endpoints answer that problem (RFC 9457); the gauges keep the other jobs;
 * {@code DELETE} still deletes it. Never a secret in any of it.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class UnreadableJobRowTest {

    static final String TOKEN = "unreadable-row-token-" + System.nanoTime();

    @Inject
    Pool pool;
    @Inject
    JobGauges gauges;
    @Inject
    MeterRegistry registry;

    @Test
    void oneUnreadableJobRowIsShownByNameWhileTheOtherJobsAreListedRunAndMeasured(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(1, 1));
        Map<String, Object> request = job(file, "Off", TOKEN);
        request.put("name", "Unreadable config");
        String badConfig = create(request);
        request.put("name", "Unknown quarantine reason");
        String badReason = create(request);
        // their series are registered while they can be read
        gauges.refresh().await().atMost(Waits.OUTCOME);
        String ciphertext = pool.preparedQuery("SELECT config::jsonb #>> '{secretToken,ciphertext}' FROM job "
                + "WHERE id = $1").executeAndAwait(Tuple.of(badConfig)).iterator().next().getString(0);
        assertThat(ciphertext).isNotBlank();

        // a scope this version does not know, and a quarantine reason it does not know
        pool.preparedQuery("UPDATE job SET config = jsonb_set(config::jsonb, '{scope}', '\"EVERYONE_IN_2030\"')::text "
                + "WHERE id = $1").executeAndAwait(Tuple.of(badConfig));
        pool.preparedQuery("UPDATE job SET quarantine_reason = 'NoSuchReason' WHERE id = $1")
                .executeAndAwait(Tuple.of(badReason));
        request.put("name", "Readable");
        String good = create(request);
        double unreadableBefore = unreadableCount();
        try {
            String body = given().get("/jobs").then().statusCode(200).extract().asString();
            JsonPath jobs = JsonPath.from(body);
            // the readable job as always, without a problem member
            assertThat(jobs.getString("find { it.id == '" + good + "' }.tenantUrl"))
                    .isEqualTo("https://apis.druva.test/insync/scim");
            assertThat(jobs.getMap("find { it.id == '" + good + "' }")).doesNotContainKey("problem");
            // the unreadable ones by id, name, state and the field that cannot be read
            Map<String, Object> config = jobs.getMap("find { it.id == '" + badConfig + "' }");
            assertThat(config).containsEntry("name", "Unreadable config").containsEntry("state", "PAUSED")
                    .containsEntry("tenantUrl", null).containsEntry("secretTokenConfigured", null);
            assertThat(jobs.getInt("find { it.id == '" + badConfig + "' }.problem.status")).isEqualTo(409);
            assertThat(jobs.getString("find { it.id == '" + badConfig + "' }.problem.detail")).contains(badConfig);
            assertThat(jobs.getList("find { it.id == '" + badConfig + "' }.problem.errors.field"))
                    .containsExactly("config.scope");
            assertThat(jobs.getList("find { it.id == '" + badReason + "' }.problem.errors.field"))
                    .containsExactly("quarantine_reason");
            assertThat(jobs.getList("find { it.id == '" + badReason + "' }.problem.errors.message").get(0).toString())
                    .contains("is not a quarantine reason this version knows");
            assertThat(jobs.getList("find { it.id == '" + badReason + "' }.problem.unreadableFields"))
                    .containsExactly("quarantine_reason");
            // what could be read is shown, so that a repair starts from it: the threshold of both, the whole
            // configuration of the job whose configuration can be read; never whether a secret is set (a repair
            // must send it)
            assertThat(config).containsEntry("deletionThreshold", 500).containsEntry("deletionThresholdPercent", 20);
            assertThat(jobs.getMap("find { it.id == '" + badReason + "' }"))
                    .containsEntry("tenantUrl", "https://apis.druva.test/insync/scim")
                    .containsEntry("notificationEmail", "admin@example.test").containsEntry("cycleInterval", "PT5S")
                    .containsEntry("deletionThreshold", 500).containsEntry("secretTokenConfigured", null);
            assertThat(body).doesNotContain(TOKEN, ciphertext, "EVERYONE_IN_2030");

            // on its own: an RFC 9457 problem naming the job and the field, at every endpoint of the job
            for (String path : List.of("/jobs/" + badConfig, "/jobs/" + badConfig + "/status",
                    "/jobs/" + badConfig + "/token-expiry")) {
                String problem = given().get(path).then().statusCode(409)
                        .contentType("application/problem+json")
                        .body("detail", containsString("Job " + badConfig + " (Unreadable config) is stored in a "
                                + "form this version cannot read: its config.scope has a value this version cannot "
                                + "read as a ProvisioningScope"))
                        .body("errors[0].field", equalTo("config.scope"))
                        .body("errors[0].pointer", nullValue())
                        .extract().asString();
                assertThat(problem).as(path).doesNotContain(TOKEN, ciphertext, "EVERYONE_IN_2030");
            }
            given().post("/jobs/" + badReason + "/start").then().statusCode(409)
                    .body("errors[0].field", equalTo("quarantine_reason"));
            assertThat(unreadableCount()).as(DetectorMeters.JOBS_UNREADABLE).isGreaterThan(unreadableBefore);

            // the gauges: the readable job's are read, the unreadable jobs' series are kept (they were not deleted)
            gauges.refresh().await().atMost(Waits.OUTCOME);
            assertThat(registry.find(DetectorMeters.JOB_INFO).tag(PROVISIONING_JOB, good)
                    .tag(DetectorMeters.JOB_NAME, "Readable").gauge()).isNotNull();
            assertThat(registry.find(DetectorMeters.JOB_ENABLED).tag(PROVISIONING_JOB, good).gauge().value())
                    .isEqualTo(0);
            assertThat(registry.find(DetectorMeters.JOB_INFO).tag(PROVISIONING_JOB, badConfig).gauge()).isNotNull();
            assertThat(registry.find(DetectorMeters.JOB_INFO).tag(PROVISIONING_JOB, badReason).gauge()).isNotNull();

            // the operator's way out: the unreadable job is deleted, tombstone and audit entry included
            given().delete("/jobs/" + badReason).then().statusCode(204);
            given().get("/jobs/" + badReason).then().statusCode(404);
            assertThat(pool.preparedQuery("SELECT count(*) FROM job_outbox WHERE job_id = $1 AND payload IS NULL")
                    .executeAndAwait(Tuple.of(badReason)).iterator().next().getLong(0)).as("tombstone").isEqualTo(1);
            given().get("/jobs/" + badReason + "/audit").then().statusCode(200)
                    .body("entries[0].action", equalTo("delete"))
                    .body("entries[0].detail", containsString("quarantine_reason"));
            given().get("/jobs").then().statusCode(200).body("id", org.hamcrest.Matchers.not(
                    org.hamcrest.Matchers.hasItem(badReason)));
        } finally {
            given().delete("/jobs/" + badConfig);
            given().delete("/jobs/" + badReason);
            given().delete("/jobs/" + good);
        }
    }

    /**
     * The repair: a job that ran a cycle (two users created in Druva: their provisioning log entries and managed
     * objects) gets a scope this version cannot read. Every endpoint of the job answers a 409 problem
     * naming it and the field, and the way out, except its logs and audit log (its own tables), which stay readable;
     * a PUT that leaves out the secret token is refused (409: nothing to merge into). A PUT of its whole configuration
     * repairs the row in place: same id, the log entries and the managed objects kept, an audit entry "repair", and the
     * next cycle (a full one) updates the two users Druva already holds rather than creating them again. The unreadable
     * count stops growing. A job with an unknown quarantine reason is repaired the same way (its quarantine lifted,
     * with the QUARANTINE_LIFTED notice of any lift).
     */
    @Test
    void aPutOfTheWholeConfigurationRepairsTheRowInPlaceAndEveryOtherCallAnswersAProblem(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(2, 2));
        Map<String, Object> request = job(file, "On", TOKEN);
        request.put("name", "Repairable");
        String id = create(request);
        request.put("provisioningStatus", "Off");
        request.put("name", "Unknown reason, repaired");
        String quarantined = create(request);
        request.put("provisioningStatus", "On");
        request.put("name", "Repairable");
        try (TopicClient kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers())) {
            List<AssignmentEvent> first = TestJobs.events(kafka, id, 2, e -> true);
            first.forEach(e -> TestJobs.send(kafka,
                    TestJobs.result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201)));
            await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(managed(id)).hasSize(2));
            List<Map<String, Object>> logs = given().get("/jobs/" + id + "/logs").then().statusCode(200).extract()
                    .jsonPath().getList("$");
            assertThat(logs).isNotEmpty();
            Map<String, String> managed = managed(id);
            long revision = given().get("/jobs/" + id).then().statusCode(200).extract().jsonPath()
                    .getLong("revision");
            String ciphertext = pool.preparedQuery("SELECT config::jsonb #>> '{secretToken,ciphertext}' FROM job "
                    + "WHERE id = $1").executeAndAwait(Tuple.of(id)).iterator().next().getString(0);

            pool.preparedQuery("UPDATE job SET config = jsonb_set(config::jsonb, '{scope}', '\"EVERYONE_IN_2030\"')"
                    + "::text WHERE id = $1").executeAndAwait(Tuple.of(id));
            // as a newer version quarantines a job, for a reason this version does not know
            pool.preparedQuery("UPDATE job SET quarantine_reason = 'NoSuchReason', quarantine_key = 'NoSuchReason/c9', "
                    + "quarantined_since = now(), state = 'QUARANTINED' WHERE id = $1")
                    .executeAndAwait(Tuple.of(quarantined));

            // every call that needs the job: 409, the job and the field named, the repair offered, never a secret
            String named = "Job " + id + " (Repairable) is stored in a form this version cannot read: its config.scope "
                    + "has a value this version cannot read as a ProvisioningScope.";
            Map<String, Object> mappingTest = Map.of("objectId", "u0", "mapping", Map.of("type", "DIRECT", "source",
                    "mail", "target", "externalId", "apply", "ALWAYS", "matchingPrecedence", 0));
            Map<String, io.restassured.response.Response> answers = new java.util.LinkedHashMap<>();
            answers.put("GET /jobs/{id}", given().get("/jobs/" + id));
            answers.put("GET status", given().get("/jobs/" + id + "/status"));
            answers.put("POST start", given().post("/jobs/" + id + "/start"));
            answers.put("POST pause", given().post("/jobs/" + id + "/pause"));
            answers.put("POST restart", given().contentType(ContentType.JSON)
                    .body(Map.of("resetScope", List.of("Full", "QuarantineState"))).post("/jobs/" + id + "/restart"));
            answers.put("POST allow-deletes", given().post("/jobs/" + id + "/allow-deletes"));
            answers.put("POST test-connection", given().post("/jobs/" + id + "/test-connection"));
            answers.put("POST provision-on-demand", given().contentType(ContentType.JSON)
                    .body(Map.of("objectId", "u0")).post("/jobs/" + id + "/provision-on-demand"));
            answers.put("console token-expiry", given().get("/jobs/" + id + "/token-expiry"));
            answers.put("console source-objects", given().get("/jobs/" + id + "/source-objects?search=u"));
            answers.put("console mappings/test", given().contentType(ContentType.JSON).body(mappingTest)
                    .post("/jobs/" + id + "/mappings/test"));
            answers.forEach((call, answer) -> {
                answer.then().statusCode(409).contentType("application/problem+json")
                        .body("status", equalTo(409))
                        .body("detail", containsString(named))
                        .body("detail", containsString("PUT /jobs/" + id + " with the job's whole configuration "
                                + "(secretToken included"))
                        .body("detail", containsString("DELETE /jobs/" + id))
                        .body("errors[0].field", equalTo("config.scope"))
                        .body("errors[0].pointer", nullValue());
                assertThat(answer.asString()).as(call).doesNotContain(TOKEN, ciphertext, "EVERYONE_IN_2030");
            });
            assertThat(answers.get("POST start").jsonPath().getString("detail"))
                    .contains("POST /jobs/" + id + "/start cannot be served until it is repaired or deleted");
            assertThat(answers.get("POST test-connection").jsonPath().getString("detail"))
                    .contains("POST /jobs/test-connection tests a tenant URL and token that are not saved");
            assertThat(WriterStub.REQUESTS).as("nothing of the unreadable job reaches the writer")
                    .noneSatisfy(r -> assertThat(r.path()).contains(id));
            // its own tables stay readable: the provisioning log and the audit log
            given().get("/jobs/" + id + "/logs").then().statusCode(200).body("size()", equalTo(logs.size()));
            given().get("/jobs/" + id + "/audit").then().statusCode(200).body("entries[0].action", equalTo("create"));
            // the verb PATCH is not offered on any job
            given().contentType(ContentType.JSON).body(Map.of("name", "x")).patch("/jobs/" + id).then()
                    .statusCode(405);

            // a change that keeps stored values (no secretToken): nothing to merge into, 409 naming the token
            Map<String, Object> partial = new java.util.HashMap<>(request);
            partial.remove("secretToken");
            String refused = given().contentType(ContentType.JSON).body(partial).put("/jobs/" + id).then()
                    .statusCode(409).contentType("application/problem+json")
                    .body("detail", containsString(named))
                    .body("detail", containsString("leaves out secretToken to keep the stored value, but there is "
                            + "nothing to merge into: send the job's whole configuration with PUT /jobs/" + id))
                    .body("errors.field", org.hamcrest.Matchers.contains("config.scope", "secretToken"))
                    .body("errors[1].pointer", equalTo("/secretToken"))
                    .body("errors[1].message", containsString("the stored one is in the row that cannot be read"))
                    .extract().asString();
            assertThat(refused).doesNotContain(ciphertext, "EVERYONE_IN_2030");
            // a configuration with a bad value: 400 naming it, as for any job
            Map<String, Object> bad = new java.util.HashMap<>(request);
            bad.put("cycleInterval", "forty minutes");
            given().contentType(ContentType.JSON).body(bad).put("/jobs/" + id).then().statusCode(400)
                    .body("errors.field", org.hamcrest.Matchers.contains("cycleInterval"));

            // the repair: the whole configuration, token included
            String repaired = given().contentType(ContentType.JSON).body(request).put("/jobs/" + id).then()
                    .statusCode(200).body("id", equalTo(id)).body("scope", equalTo("ASSIGNED_ONLY"))
                    .body("state", equalTo("ACTIVE")).body("secretTokenConfigured", equalTo(true))
                    .body("problem", nullValue()).extract().asString();
            assertThat(repaired).doesNotContain(TOKEN, ciphertext);
            assertThat(JsonPath.from(repaired).getLong("revision")).as("the configuration's revision moves on")
                    .isGreaterThan(revision);

            // an unknown quarantine reason: repaired the same way, the quarantine it cannot read lifted
            Map<String, Object> paused = new java.util.HashMap<>(request);
            paused.put("name", "Unknown reason, repaired");
            paused.put("provisioningStatus", "Off");
            given().contentType(ContentType.JSON).body(paused).put("/jobs/" + quarantined).then().statusCode(200)
                    .body("id", equalTo(quarantined)).body("state", equalTo("PAUSED"));
            given().get("/jobs/" + quarantined + "/status").then().statusCode(200).body("quarantine", nullValue());
            given().get("/jobs/" + quarantined + "/audit").then().statusCode(200)
                    .body("entries[0].action", equalTo("repair"))
                    .body("entries[0].detail", containsString("(quarantine_reason is not a quarantine reason this "
                            + "version knows"))
                    .body("entries[0].detail", containsString("its quarantine, whose reason this version does not "
                            + "know, was lifted"));
            // the administrator is told, as of any lift: QUARANTINE_LIFTED for the quarantine's own key and reason
            await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(kafka.readAll(Topics.JOB_STATES,
                    r -> quarantined.equals(r.key())).stream().map(r -> EventChecks.jobState(r.value()))
                    .filter(e -> e.change() == JobStateChange.QUARANTINE_LIFTED).toList())
                    .singleElement().satisfies(lifted -> {
                        assertThat(lifted.eventId()).isEqualTo(quarantined + "/QUARANTINE_LIFTED/NoSuchReason/c9");
                        assertThat(lifted.reasonCode()).isEqualTo("NoSuchReason");
                        assertThat(lifted.reason()).contains("the job's stored row was repaired");
                    }));

            // no row is unreadable any more: the count stops growing
            double unreadableAfterRepair = unreadableCount();
            given().get("/jobs/" + id).then().statusCode(200).body("name", equalTo("Repairable"));
            given().get("/jobs/" + id + "/status").then().statusCode(200).body("state", equalTo("ACTIVE"));
            given().get("/jobs").then().statusCode(200)
                    .body("find { it.id == '" + id + "' }.tenantUrl", equalTo("https://apis.druva.test/insync/scim"))
                    .body("find { it.id == '" + id + "' }.problem", nullValue());
            given().get("/jobs/" + id + "/audit").then().statusCode(200)
                    .body("entries[0].action", equalTo("repair"))
                    .body("entries[0].actor", equalTo("test-admin"))
                    .body("entries[0].fields", org.hamcrest.Matchers.hasItems("scope", "secretToken"))
                    .body("entries[0].detail", containsString("its stored row could not be read (config.scope has a "
                            + "value this version cannot read as a ProvisioningScope): replaced in place"));
            // its state is kept: the log entries, and the objects it manages in Druva
            given().get("/jobs/" + id + "/logs").then().statusCode(200)
                    .body("size()", org.hamcrest.Matchers.greaterThanOrEqualTo(logs.size()));
            assertThat(managed(id)).isEqualTo(managed);

            // the next cycle runs, a full one: Druva holds both users, so they are updates, not creations
            List<AssignmentEvent> next = TestJobs.events(kafka, id, 2,
                    e -> !e.cycleId().equals(first.get(0).cycleId()));
            assertThat(next).extracting(AssignmentEvent::objectId).containsExactlyInAnyOrder("u0", "u1");
            assertThat(next).allSatisfy(e -> {
                assertThat(e.fullCycle()).isTrue();
                assertThat(e.change()).isEqualTo(ChangeKind.UPDATED);
            });
            // the job's configuration reached the other services with the new revision
            assertThat(kafka.readAll(Topics.JOBS, r -> id.equals(r.key()))).last()
                    .satisfies(r -> assertThat(EventChecks.job(r.value()).revision())
                            .isEqualTo(JsonPath.from(repaired).getLong("revision")));
            assertThat(unreadableCount()).as("no longer counted once repaired").isEqualTo(unreadableAfterRepair);

        } finally {
            given().delete("/jobs/" + id);
            given().delete("/jobs/" + quarantined);
        }
    }

    /**
     * A deletion threshold this version cannot read (a count below 0, which no version writes): every endpoint answers
     * 409 naming {@code deletion_threshold}, and the way out asks for the threshold too. A PUT of the whole
     * configuration that leaves the threshold out is refused (409 naming both values: there is nothing to merge them
     * into); one that sends them repairs the row in place, as for a configuration that cannot be read. Before, a PUT
     * could not repair it (field {@code row}): the job could only be deleted, its snapshot and managed objects with it.
     */
    @Test
    void aDeletionThresholdThatCannotBeReadIsRepairedByAPutThatSendsIt(@TempDir Path dir) {
        Map<String, Object> request = job(dir.resolve("directory.json"), "Off", TOKEN);
        request.put("name", "Bad threshold");
        String id = create(request);
        try {
            pool.preparedQuery("UPDATE job SET deletion_threshold = -5 WHERE id = $1").executeAndAwait(Tuple.of(id));
            String named = "Job " + id + " (Bad threshold) is stored in a form this version cannot read: its "
                    + "deletion_threshold cannot be read: the deletion threshold must be 0 (off) or more, got -5.";
            given().get("/jobs/" + id).then().statusCode(409).contentType("application/problem+json")
                    .body("detail", containsString(named))
                    .body("detail", containsString("PUT /jobs/" + id + " with the job's whole configuration "
                            + "(secretToken, deletionThreshold and deletionThresholdPercent included"))
                    .body("errors[0].field", equalTo("deletion_threshold"));

            // the threshold left out: nothing to merge it into
            given().contentType(ContentType.JSON).body(request).put("/jobs/" + id).then().statusCode(409)
                    .contentType("application/problem+json")
                    .body("detail", containsString(named))
                    .body("errors.field", org.hamcrest.Matchers.contains("deletion_threshold", "deletionThreshold",
                            "deletionThresholdPercent"))
                    .body("errors[1].message", containsString("the stored deletion threshold cannot be read"));

            // sent: repaired in place
            Map<String, Object> whole = new java.util.HashMap<>(request);
            whole.put("deletionThreshold", 50);
            whole.put("deletionThresholdPercent", 10);
            given().contentType(ContentType.JSON).body(whole).put("/jobs/" + id).then().statusCode(200)
                    .body("id", equalTo(id)).body("deletionThreshold", equalTo(50))
                    .body("deletionThresholdPercent", equalTo(10)).body("problem", nullValue());
            given().get("/jobs/" + id).then().statusCode(200).body("name", equalTo("Bad threshold"))
                    .body("deletionThreshold", equalTo(50));
            given().get("/jobs/" + id + "/audit").then().statusCode(200)
                    .body("entries[0].action", equalTo("repair"))
                    .body("entries[0].detail", containsString("its stored row could not be read (deletion_threshold "
                            + "cannot be read"));
        } finally {
            given().delete("/jobs/" + id).then().statusCode(204);
        }
    }

    /**
     * A row with several faults at once (a scope this version cannot read, a quarantine reason it does not know, a
     * deletion threshold out of range): every answer names all three, in the detail, in {@code errors} and in
     * {@code unreadableFields}, not only the first. A PUT that leaves out both the secret and the threshold is refused
     * naming every field it must send ({@code missingFields}), and one that sends them all repairs every fault at once.
     * Before, the problem named the configuration only, and a PUT that sent the token but not the threshold was
     * refused with that same problem, naming a field the PUT had just replaced.
     */
    @Test
    void aRowWithSeveralFaultsNamesThemAllAndOneRepairMendsThemAll(@TempDir Path dir) {
        Map<String, Object> request = job(dir.resolve("directory.json"), "Off", TOKEN);
        request.put("name", "Three faults");
        String id = create(request);
        try {
            pool.preparedQuery("UPDATE job SET config = jsonb_set(config::jsonb, '{scope}', '\"EVERYONE_IN_2030\"')"
                    + "::text, quarantine_reason = 'NoSuchReason', quarantine_key = 'NoSuchReason/c1', "
                    + "quarantined_since = now(), state = 'QUARANTINED', deletion_threshold_percent = 101 "
                    + "WHERE id = $1").executeAndAwait(Tuple.of(id));
            List<String> fields = List.of("config.scope", "quarantine_reason", "deletion_threshold");
            String named = "Job " + id + " (Three faults) is stored in a form this version cannot read, 3 fields "
                    + "(config.scope, quarantine_reason and deletion_threshold): its config.scope has a value this "
                    + "version cannot read as a ProvisioningScope; and its quarantine_reason is not a quarantine "
                    + "reason this version knows (";
            for (String path : List.of("/jobs/" + id, "/jobs/" + id + "/status")) {
                given().get(path).then().statusCode(409).contentType("application/problem+json")
                        .body("detail", containsString(named))
                        .body("detail", containsString("; and its deletion_threshold cannot be read: the deletion "
                                + "threshold share must be 0 (off) to 100, got 101."))
                        .body("detail", containsString("(secretToken, deletionThreshold and deletionThresholdPercent "
                                + "included"))
                        .body("errors.field", org.hamcrest.Matchers.contains(fields.toArray()))
                        .body("errors.pointer", org.hamcrest.Matchers.everyItem(nullValue()))
                        .body("unreadableFields", org.hamcrest.Matchers.contains(fields.toArray()))
                        .body("missingFields", nullValue());
            }
            JsonPath listed = given().get("/jobs").then().statusCode(200).extract().jsonPath();
            assertThat(listed.getList("find { it.id == '" + id + "' }.problem.unreadableFields"))
                    .containsExactlyElementsOf(fields);
            assertThat(listed.getMap("find { it.id == '" + id + "' }")).containsEntry("deletionThreshold", null)
                    .containsEntry("tenantUrl", null).containsEntry("state", "QUARANTINED");

            // a PUT without the token or the threshold: every field it must send, named at once
            Map<String, Object> partial = new java.util.HashMap<>(request);
            partial.remove("secretToken");
            given().contentType(ContentType.JSON).body(partial).put("/jobs/" + id).then().statusCode(409)
                    .contentType("application/problem+json")
                    .body("detail", containsString(named))
                    .body("detail", containsString("This PUT leaves out secretToken, deletionThreshold and "
                            + "deletionThresholdPercent to keep the stored values, but there is nothing to merge "
                            + "into"))
                    .body("errors.field", org.hamcrest.Matchers.contains("config.scope", "quarantine_reason",
                            "deletion_threshold", "secretToken", "deletionThreshold", "deletionThresholdPercent"))
                    .body("errors[5].pointer", equalTo("/deletionThresholdPercent"))
                    .body("unreadableFields", org.hamcrest.Matchers.contains(fields.toArray()))
                    .body("missingFields", org.hamcrest.Matchers.contains("secretToken", "deletionThreshold",
                            "deletionThresholdPercent"));
            // the token sent, the threshold not: the threshold named, not the configuration the PUT replaces
            given().contentType(ContentType.JSON).body(request).put("/jobs/" + id).then().statusCode(409)
                    .body("missingFields", org.hamcrest.Matchers.contains("deletionThreshold",
                            "deletionThresholdPercent"));

            Map<String, Object> whole = new java.util.HashMap<>(request);
            whole.put("deletionThreshold", 40);
            whole.put("deletionThresholdPercent", 30);
            given().contentType(ContentType.JSON).body(whole).put("/jobs/" + id).then().statusCode(200)
                    .body("id", equalTo(id)).body("scope", equalTo("ASSIGNED_ONLY")).body("state", equalTo("PAUSED"))
                    .body("deletionThreshold", equalTo(40)).body("deletionThresholdPercent", equalTo(30))
                    .body("problem", nullValue());
            given().get("/jobs/" + id + "/status").then().statusCode(200).body("quarantine", nullValue());
            given().get("/jobs/" + id + "/audit").then().statusCode(200)
                    .body("entries[0].action", equalTo("repair"))
                    .body("entries[0].detail", containsString("(config.scope has a value this version cannot read "
                            + "as a ProvisioningScope; quarantine_reason is not a quarantine reason this version knows"))
                    .body("entries[0].detail", containsString("; deletion_threshold cannot be read: the deletion "
                            + "threshold share must be 0 (off) to 100, got 101): replaced in place"));
        } finally {
            given().delete("/jobs/" + id).then().statusCode(204);
        }
    }

    /** The objects the job manages in Druva (created there by it): object id to since when. */
    private Map<String, String> managed(String jobId) {
        Map<String, String> since = new java.util.TreeMap<>();
        pool.preparedQuery("SELECT object_id, since::text FROM managed_object WHERE job_id = $1")
                .executeAndAwait(Tuple.of(jobId)).forEach(r -> since.put(r.getString(0), r.getString(1)));
        return since;
    }

    private double unreadableCount() {
        var counter = registry.find(DetectorMeters.JOBS_UNREADABLE).counter();
        return counter == null ? 0 : counter.count();
    }
}
