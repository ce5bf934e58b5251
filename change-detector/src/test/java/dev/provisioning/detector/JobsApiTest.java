package dev.provisioning.detector;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ModifiedProperty;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class JobsApiTest {

    @Inject
    ProvisioningLogRepository log;

    @Inject
    CycleRepository cycles;

    /** The management interface (health, metrics, OpenAPI): its own port. */
    @TestHTTPResource(value = "/", management = true)
    URL managementRoot;
    String management;

    @org.junit.jupiter.api.BeforeEach
    void managementBase() {
        management = managementRoot.getProtocol() + "://" + managementRoot.getAuthority();
    }

    static final String TOKEN = "druva-secret-token-" + System.nanoTime();
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
    void anInvalidJobIsRefusedWithEveryBadFieldNamed() {
        given().contentType(ContentType.JSON)
                .body(Map.of("tenantUrl", "ftp://druva", "notifyOnFailure", true, "notificationEmail", "not-an-address",
                        "scope", "SOME", "source", Map.of("type", "DIRECTORY_FILE")))
                .post("/jobs")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("about:blank"))
                .body("title", equalTo("Bad Request"))
                .body("status", equalTo(400))
                .body("detail", org.hamcrest.Matchers.startsWith("Invalid job configuration: "))
                .body("detail", org.hamcrest.Matchers.endsWith("(and 5 more)"))
                .body("errors.field",
                        containsInAnyOrder("name", "tenantUrl", "secretToken", "notificationEmail", "scope",
                                "source.directoryFile"))
                .body("errors.pointer",
                        containsInAnyOrder("/name", "/tenantUrl", "/secretToken", "/notificationEmail", "/scope",
                                "/source/directoryFile"));
    }

    @Test
    void aJobWithAnInvalidExpressionIsRefusedWithTheFieldAndPosition() {
        Map<String, Object> job = new java.util.HashMap<>(job(Path.of("/tmp/d.json"), "Off"));
        job.put("userMappings", List.of(
                Map.of("type", "DIRECT", "source", "userPrincipalName", "target", "userName", "matchingPrecedence", 1),
                Map.of("type", "EXPRESSION", "source", "Join(\",\", [givenName]", "target", "displayName")));

        given().contentType(ContentType.JSON).body(job).post("/jobs")
                .then().statusCode(400)
                .body("errors[0].field", equalTo("userMappings[1].source"))
                .body("errors[0].pointer", equalTo("/userMappings/1/source"))
                .body("errors[0].message", org.hamcrest.Matchers.containsString("position"));
    }

    @Test
    void aStartedJobEmitsOneEventPerAssignedObjectThenOnlyChanges(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, directory("Ann"));
        Map<String, Object> hourly = new java.util.HashMap<>(job(file, "On"));
        hourly.put("cycleInterval", "PT1H");

        String jobId = given().contentType(ContentType.JSON).body(hourly).post("/jobs")
                .then().statusCode(201)
                .body("secretTokenConfigured", equalTo(true))
                .body("$", not(org.hamcrest.Matchers.hasKey("secretToken")))
                .extract().path("id");

        List<AssignmentEvent> first = events(jobId, 3);
        assertThat(first).extracting(AssignmentEvent::objectId).containsExactlyInAnyOrder("u1", "u2", "g1");
        assertThat(first).allSatisfy(e -> assertThat(e.change()).isEqualTo(ChangeKind.ADDED));
        AssignmentEvent viaGroup = first.stream().filter(e -> e.objectId().equals("u2")).findFirst().orElseThrow();
        assertThat(viaGroup.assignments()).singleElement().satisfies(a -> assertThat(a.viaGroupId()).isEqualTo("g1"));
        AssignmentEvent group = first.stream().filter(e -> e.objectId().equals("g1")).findFirst().orElseThrow();
        assertThat(group.objectType()).isEqualTo(ObjectType.GROUP);
        assertThat(group.attributes()).containsEntry("displayName", "Sales");
        assertThat(group.members()).containsExactly("u2");

        // once the users are in Druva, the group is sent again at once (not an hour later) so that its members,
        // which now have Druva ids, are added: Entra's references step
        for (AssignmentEvent e : first) {
            ProvisioningResult result = result(e, ProvisioningStatus.Success);
            kafka.send(Topics.RESULTS, result.key(), Json.write(result));
        }
        String initialCycle = first.get(0).cycleId();
        List<AssignmentEvent> followUp = events(jobId, 4).stream().filter(e -> !e.cycleId().equals(initialCycle))
                .toList();
        assertThat(followUp).singleElement().satisfies(e -> {
            assertThat(e.objectId()).isEqualTo("g1");
            assertThat(e.change()).isEqualTo(ChangeKind.UPDATED);
            assertThat(e.members()).containsExactly("u2");
        });
        AssignmentEvent references = followUp.get(0);
        ProvisioningResult groupUpdated = result(references, ProvisioningStatus.Success);
        kafka.send(Topics.RESULTS, groupUpdated.key(), Json.write(groupUpdated));

        // the next cycle (started now) picks up only the renamed user
        Files.writeString(file, directory("Annie"));
        given().post("/jobs/" + jobId + "/start").then().statusCode(200);
        List<AssignmentEvent> later = events(jobId, 5).stream()
                .filter(e -> !e.cycleId().equals(initialCycle) && !e.cycleId().equals(references.cycleId())).toList();
        assertThat(later).singleElement().satisfies(change -> {
            assertThat(change.objectId()).isEqualTo("u1");
            assertThat(change.change()).isEqualTo(ChangeKind.UPDATED);
            assertThat(change.attributes()).containsEntry("displayName", "Annie");
        });

        // the token is in no API answer and on the jobs topic only encrypted
        given().get("/jobs/" + jobId).then().statusCode(200).body(not(org.hamcrest.Matchers.containsString(TOKEN)));
        List<ConsumerRecord<String, String>> configs = kafka.readAll(Topics.JOBS, r -> jobId.equals(r.key()));
        assertThat(configs).isNotEmpty().allSatisfy(r -> assertThat(r.value()).doesNotContain(TOKEN));
    }

    @Test
    void resultsMakeTheCycleProgressAndAreCountedOnce(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, directory("Ann"));
        String jobId = given().contentType(ContentType.JSON).body(job(file, "On")).post("/jobs").then().statusCode(201)
                .extract().path("id");
        List<AssignmentEvent> events = events(jobId, 3);

        for (AssignmentEvent e : events) {
            ProvisioningResult result = result(e, e.objectId().equals("u2")
                    ? ProvisioningStatus.Failure
                    : ProvisioningStatus.Success);
            kafka.send(Topics.RESULTS, result.key(), Json.write(result));
            kafka.send(Topics.RESULTS, result.key(), Json.write(result)); // redelivered
        }

        // (a follow-up cycle may have started since: u1 is now in Druva, so groups may have members to add)
        String cycle = "recentCycles.find { it.cycleId == '" + events.get(0).cycleId() + "' }";
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .statusCode(200)
                .body(cycle + ".status", equalTo("COMPLETED"))
                .body(cycle + ".progressPercent", equalTo(100))
                .body(cycle + ".summary.created", equalTo(2))
                .body(cycle + ".summary.failed", equalTo(1))
                .body(cycle + ".completedAt", notNullValue())
                .body("lastCycleWithChanges.cycleId", equalTo(events.get(0).cycleId())));
        // the cycle's own time: from its start to its last result, as the API says it (ISO-8601, UTC)
        Map<String, Object> completed = given().get("/jobs/" + jobId + "/status").then().extract().path(cycle);
        Instant startedAt = Instant.parse((String) completed.get("startedAt"));
        Instant completedAt = Instant.parse((String) completed.get("completedAt"));
        assertThat(completedAt).isAfterOrEqualTo(startedAt);
        assertThat(((Number) completed.get("durationMillis")).longValue())
                .isEqualTo(java.time.Duration.between(startedAt, completedAt).toMillis());
        given().get("/jobs/" + jobId + "/logs?status=Failure").then().statusCode(200)
                .body("size()", equalTo(1))
                .body("[0].sourceId", equalTo("u2"))
                .body("[0].errorCode", equalTo("MandatoryFieldsMissing"));
    }

    /**
     * The status's lastCycleWithChanges is the newest complete cycle with a result that is not Skipped: a follow-up
     * cycle whose only object was skipped (RedundantExport), the quiet cycles after it (the lastCompletedCycle, 0 of 0;
     * so many that it left the recent ten) and a newer cycle still waiting for its result do not replace it; before any, it is null. The cycles and their results are recorded directly (the job is
     * off: no cycle of its own).
     */
    @Test
    void theLastCycleWithChangesOutlivesTheQuietCyclesAfterIt(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, directory("Ann"));
        String jobId = given().contentType(ContentType.JSON).body(job(file, "Off")).post("/jobs").then()
                .statusCode(201).extract().path("id");
        String status = "/jobs/" + jobId + "/status";
        given().get(status).then().statusCode(200).body("lastCycleWithChanges", nullValue());

        String busy = "busy-" + jobId;
        String quiet = "quiet-" + jobId;
        String waiting = "waiting-" + jobId;
        cycles.start(busy, jobId, false).chain(() -> cycles.emitted(busy, 2)).await().atMost(Waits.OUTCOME);
        Instant now = Instant.now();
        log.recordAll(List.of(
                new ProvisioningResult(1, ProvisioningResult.idOf(jobId, "u1", busy, "e1"), jobId, busy, "e1",
                        ObjectType.USER, "u1", null, "Ann", ProvisioningAction.Create, ProvisioningStatus.Success,
                        null, null, null, 1, 5, List.of(new ModifiedProperty("displayName", null, "Ann")), "test",
                        now),
                new ProvisioningResult(1, ProvisioningResult.idOf(jobId, "u2", busy, "e2"), jobId, busy, "e2",
                        ObjectType.USER, "u2", null, "Bob", ProvisioningAction.Create, ProvisioningStatus.Failure,
                        "MandatoryFieldsMissing", null, null, 1, 5, List.of(), "test", now)))
                .await().atMost(Waits.OUTCOME);
        // a follow-up cycle that sent a group Druva already holds as the source has it: skipped, no change
        String skipped = "skipped-" + jobId;
        cycles.start(skipped, jobId, false).chain(() -> cycles.emitted(skipped, 1)).await().atMost(Waits.OUTCOME);
        log.recordAll(List.of(new ProvisioningResult(1, ProvisioningResult.idOf(jobId, "g1", skipped, "e3"), jobId,
                skipped, "e3", ObjectType.GROUP, "g1", null, "Sales", ProvisioningAction.Other,
                ProvisioningStatus.Skipped, ErrorCodes.REDUNDANT_EXPORT, null, null, 1, 5, List.of(), "test", now)))
                .await().atMost(Waits.OUTCOME);
        given().get(status).then().statusCode(200)
                .body("lastCompletedCycle.cycleId", equalTo(skipped))
                .body("lastCycleWithChanges.cycleId", equalTo(busy));
        // the log shows what changed as an array, as provision on demand does (not the array's JSON text)
        given().get("/jobs/" + jobId + "/logs?status=Success").then().statusCode(200)
                .body("size()", equalTo(1))
                .body("[0].modifiedProperties.size()", equalTo(1))
                .body("[0].modifiedProperties[0].name", equalTo("displayName"))
                .body("[0].modifiedProperties[0].newValue", equalTo("Ann"));
        given().get("/jobs/" + jobId + "/logs?status=Skipped").then().statusCode(200)
                .body("size()", equalTo(1))
                .body("[0].modifiedProperties", nullValue());
        // ten quiet cycles: the busy one is no longer among the recent ten
        for (int i = 1; i <= 10; i++) {
            String one = quiet + "-" + i;
            cycles.start(one, jobId, false).chain(() -> cycles.emitted(one, 0)).await().atMost(Waits.OUTCOME);
        }
        cycles.start(waiting, jobId, false).chain(() -> cycles.emitted(waiting, 1)).await().atMost(Waits.OUTCOME);

        given().get(status).then().statusCode(200)
                .body("recentCycles.cycleId", not(hasItem(busy)))
                .body("currentCycle.cycleId", equalTo(waiting))
                .body("currentCycle.status", equalTo("IN_PROGRESS"))
                .body("lastCompletedCycle.cycleId", equalTo(quiet + "-10"))
                .body("lastCompletedCycle.eventsEmitted", equalTo(0))
                .body("lastCycleWithChanges.cycleId", equalTo(busy))
                .body("lastCycleWithChanges.status", equalTo("COMPLETED"))
                .body("lastCycleWithChanges.eventsEmitted", equalTo(2))
                .body("lastCycleWithChanges.resultsReceived", equalTo(2))
                .body("lastCycleWithChanges.summary.created", equalTo(1))
                .body("lastCycleWithChanges.summary.failed", equalTo(1))
                .body("lastCycleWithChanges.startedAt", notNullValue());
    }

    /**
     * A log longer than a page is read page by page: each page of at most limit records says where the next one starts
     * (X-Next-Before, and Link rel="next" with the same query); following the links gives every record once, in the
     * order of one long read, records of one instant included; the last page says nothing more. Filters and since hold
     * on every page; a before this job's log did not answer is a 400 naming before. Results are recorded directly
     * (the job is off: no cycle of its own).
     */
    /** A cycle's id, as cycles name them. */
    private static final String C1 = "11111111-1111-4111-8111-111111111111";

    @Test
    void theLogIsReadPageByPageEveryRecordOnceInOrder(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, directory("Ann"));
        String jobId = given().contentType(ContentType.JSON).body(job(file, "Off")).post("/jobs").then()
                .statusCode(201).extract().path("id");
        // 12 records, three at each instant (microseconds kept), in two cycles, every other one a Failure
        Instant t0 = Instant.parse("2026-12-01T10:00:00.123456Z");
        List<ProvisioningResult> results = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String cycle = i < 6 ? C1 : "22222222-2222-4222-8222-222222222222";
            results.add(new ProvisioningResult(1, ProvisioningResult.idOf(jobId, "o" + i, cycle, "e" + i), jobId,
                    cycle, "e" + i, ObjectType.USER, "o" + i, null, "User " + i, ProvisioningAction.Update,
                    i % 2 == 0 ? ProvisioningStatus.Success : ProvisioningStatus.Failure,
                    i % 2 == 0 ? null : "SystemForCrossDomainIdentityManagementServiceIncompatible", null, null, 1, 5,
                    List.of(), "test", t0.plusSeconds(i / 3)));
        }
        log.recordAll(results).await().atMost(Waits.OUTCOME);
        String logs = "/jobs/" + jobId + "/logs";

        List<String> all = given().get(logs + "?limit=1000").then().statusCode(200).header("Link", nullValue())
                .header("X-Next-Before", nullValue()).extract().path("sourceId");
        assertThat(all).hasSize(12).doesNotHaveDuplicates();
        assertThat(pages(logs + "?limit=4", 4)).containsExactlyElementsOf(all);
        assertThat(pages(logs + "?limit=5", 5)).containsExactlyElementsOf(all);
        // newest first: o9..o11 occurred last, o0..o2 first
        assertThat(all.subList(0, 3)).containsExactlyInAnyOrder("o9", "o10", "o11");
        assertThat(all.subList(9, 12)).containsExactlyInAnyOrder("o0", "o1", "o2");

        // filters and since hold on every page
        List<String> failures = pages(logs + "?status=Failure&limit=2", 2);
        assertThat(failures).containsExactlyElementsOf(all.stream()
                .filter(o -> Integer.parseInt(o.substring(1)) % 2 == 1).toList());
        String since = URLEncoder.encode(t0.plusSeconds(1).atOffset(ZoneOffset.ofHours(1))
                .toString(), StandardCharsets.UTF_8);
        assertThat(pages(logs + "?cycleId=" + C1 + "&since=" + since + "&limit=1", 1))
                .containsExactlyElementsOf(all.stream()
                        .filter(o -> List.of("o3", "o4", "o5").contains(o)).toList());

        assertThat(pages(logs + "?errorCode=SystemForCrossDomainIdentityManagementServiceIncompatible&limit=5", 5))
                .containsExactlyElementsOf(failures);

        // a misspelt or unknown parameter is named, with those the endpoint takes, not ignored (every record)
        given().get(logs + "?errorcode=x&status=Failure").then().statusCode(400)
                .contentType("application/problem+json").body("errors.field", contains("errorcode"))
                .body("detail", equalTo("Invalid query parameter: errorcode is not a parameter of this endpoint (it "
                        + "takes cycleId, objectId, action, status, errorCode, since, before, limit)"));
        // a value that can match nothing is named with the values taken, not answered [] (action as written)
        given().get(logs + "?status=bogus").then().statusCode(400).body("errors.field", contains("status"))
                .body("detail", equalTo("Invalid query parameter: status must be one of Success, Failure, Skipped, "
                        + "Warning (as written)"));
        given().get(logs + "?action=create").then().statusCode(400).body("errors.field", contains("action"))
                .body("errors[0].message", startsWith("must be one of Create, Update, Disable, Delete, "));
        given().get(logs + "?cycleId=not-a-uuid").then().statusCode(400).body("errors.field", contains("cycleId"))
                .body("errors[0].message", startsWith("must be a cycle's id: a UUID"));

        // a cursor of another job's log, the audit log's kind of before, or text that is no cursor
        String foreign = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("p1\nanother-job\n" + t0 + "\n" + results.get(0).resultId()).getBytes(StandardCharsets.UTF_8));
        for (String before : List.of(foreign, "42", "not a cursor!")) {
            given().queryParam("before", before).get(logs).then().statusCode(400)
                    .contentType("application/problem+json").body("errors.field", contains("before"))
                    .body("detail", startsWith("Invalid query parameter: before "));
        }
        // a limit that is no number is a 400 naming it too (an int parameter that does not parse was a 404)
        for (String limit : List.of("abc", "0", "1001", "2.5")) {
            given().queryParam("limit", limit).get(logs).then().statusCode(400)
                    .contentType("application/problem+json").body("errors.field", contains("limit"))
                    .body("detail", equalTo("Invalid query parameter: limit must be a whole number from 1 to 1000"));
        }
    }

    /**
     * Reads the log from {@code first} by following each page's Link rel="next" (the same path and query, before set
     * to its X-Next-Before): the sourceIds of every page in order. A page that links a next one is full; the last links
     * none.
     */
    private static List<String> pages(String first, int limit) {
        List<String> ids = new ArrayList<>();
        String next = first;
        while (next != null) {
            assertThat(ids.size()).as("records read by following the links").isLessThan(100);
            io.restassured.response.Response page = given().urlEncodingEnabled(false).get(next).then().statusCode(200)
                    .extract().response();
            List<String> records = page.path("sourceId");
            ids.addAll(records);
            String link = page.header("Link");
            String cursor = page.header("X-Next-Before");
            if (link == null) {
                assertThat(cursor).as("X-Next-Before of the last page").isNull();
                assertThat(records).hasSizeLessThanOrEqualTo(limit);
                next = null;
            } else {
                assertThat(records).hasSize(limit);
                Matcher target = Pattern.compile("<([^>]+)>; rel=\"next\"")
                        .matcher(link);
                assertThat(target.matches()).as("Link " + link).isTrue();
                next = target.group(1);
                assertThat(next).isEqualTo(first + "&before=" + cursor);
            }
        }
        return ids;
    }

    @Test
    void aMissingDirectoryFileIsReportedOnTheJob() {
        String jobId = given().contentType(ContentType.JSON).body(job(Path.of("/nonexistent/directory.json"), "On"))
                .post("/jobs").then().statusCode(201).extract().path("id");

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("lastError", equalTo("directory file /nonexistent/directory.json does not exist"))
                .body("currentCycle.status", equalTo("FAILED")));
    }

    @Test
    void aMalformedResultGoesToTheDeadLetterTopicAndTheServiceKeepsWorking() {
        String key = "malformed-" + System.nanoTime();
        kafka.send(Topics.RESULTS, key, "{\"schemaVersion\":1,\"resultId\":\"x\"}");

        List<ConsumerRecord<String, String>> dead = kafka.read(Topics.deadLetter(Topics.RESULTS),
                r -> key.equals(r.key()), 1, Waits.OUTCOME);
        assertThat(dead).hasSize(1);
        String reason = new String(dead.get(0).headers().lastHeader("dead-letter-reason").value());
        assertThat(reason).contains("field 'jobId' is required");
        given().get(management + "/q/health/live").then().statusCode(200);
    }

    @Test
    void healthMetricsAndOpenApiAreExposedOnTheManagementInterface() {
        given().get(management + "/q/health").then().statusCode(200);
        given().get(management + "/q/metrics").then().statusCode(200);
        given().get(management + "/q/openapi?format=json").then().statusCode(200).body("paths", notNullValue())
                .body("paths.keySet()", hasItem("/jobs/{id}/status"))
                .body("paths.'/jobs/{id}/logs'.get.responses.'200'.headers.keySet()",
                        containsInAnyOrder("Link", "X-Next-Before"))
                .body("paths.'/jobs/{id}/logs'.get.responses.'200'.content.'application/json'.schema.type",
                        equalTo("array"));
    }

    private List<AssignmentEvent> events(String jobId, int count) {
        List<ConsumerRecord<String, String>> records = kafka.read(Topics.ASSIGNMENTS,
                r -> r.key() != null && r.key().startsWith(jobId + "/"), count, Waits.OUTCOME);
        assertThat(records).as("assignment events of job " + jobId).hasSize(count);
        return records.stream().map(r -> EventChecks.assignment(r.value())).toList();
    }

    private static ProvisioningResult result(AssignmentEvent e, ProvisioningStatus status) {
        return new ProvisioningResult(1, ProvisioningResult.idOf(e.jobId(), e.objectId(), e.cycleId(), e.eventId()),
                e.jobId(), e.cycleId(), e.eventId(), e.objectType(), e.objectId(), null, e.displayName(),
                ProvisioningAction.Create, status,
                status == ProvisioningStatus.Failure ? "MandatoryFieldsMissing" : null,
                null, null, 1, 5, List.of(), "test", Instant.now());
    }

    private static Map<String, Object> job(Path file, String status) {
        return Map.of("name", "Druva test", "tenantUrl", "https://apis.druva.test/insync/scim", "secretToken", TOKEN,
                "notificationEmail", "admin@example.test", "notifyOnFailure", true, "provisioningStatus", status,
                "cycleInterval", "PT5S", "source", Map.of("type", "DIRECTORY_FILE", "directoryFile", file.toString()));
    }

    private static String directory(String firstName) {
        return """
                {"users": [
                  {"id": "u1", "userPrincipalName": "ann@x.test", "mail": "ann@x.test", "displayName": "%s", "accountEnabled": true},
                  {"id": "u2", "userPrincipalName": "bob@x.test", "displayName": "Bob", "accountEnabled": true},
                  {"id": "u3", "userPrincipalName": "cy@x.test", "displayName": "Cy", "accountEnabled": true}],
                 "groups": [{"id": "g1", "displayName": "Sales", "members": ["u2"]}],
                 "assignments": [
                   {"principalId": "u1", "principalType": "User", "appRoleId": "r1"},
                   {"principalId": "g1", "principalType": "Group", "appRoleId": "r1"}]}
                """
                .formatted(firstName);
    }
}
