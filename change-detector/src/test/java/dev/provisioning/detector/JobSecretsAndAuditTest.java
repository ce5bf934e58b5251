package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

import dev.provisioning.detector.api.JobValidator;
import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * What a caller sees of issue 11's rules on the jobs API: a secret stays with its URL (a new tenant or Graph URL
 * without the secret is refused, so the stored secret never goes to it), secrets with control characters, http outside
 * loopback, nesting and size limits are 400s naming the field without echoing a secret, {@code cycleInterval} reads as
 * it is written, and every change is in the job's audit log with its caller and the names of the fields it changed.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
class JobSecretsAndAuditTest {

    static final String GUID = "0b8e6c2a-7d4f-4a1e-9b3c-5d6e7f8a9b0c";
    static final String TOKEN = "audit-secret-" + java.util.UUID.randomUUID();

    static String admin;
    static String operator;
    static String reader;

    @BeforeAll
    static void tokens() {
        LocalIssuer issuer = LocalStackTestResource.stack().issuer();
        admin = issuer.token("ada.admin@contoso.example", LocalIssuer.ADMIN);
        operator = issuer.token("otto.operator@contoso.example", LocalIssuer.OPERATOR);
        reader = issuer.token("rita.reader@contoso.example", LocalIssuer.READER);
    }

    private static RequestSpecification as(String token) {
        return given().auth().oauth2(token).contentType(ContentType.JSON);
    }

    private static String create(Map<String, Object> job) {
        return as(admin).body(job).post("/jobs").then().statusCode(201).extract().path("id");
    }

    private static Map<String, Object> graphJob(Path dir, String authorityUrl) {
        Map<String, Object> job = new HashMap<>(job(dir.resolve("d.json"), "Off", TOKEN));
        Map<String, Object> graph = new HashMap<>(Map.of("tenantId", GUID, "clientId", GUID, "clientSecret",
                "graph-secret-value", "servicePrincipalId", GUID));
        if (authorityUrl != null) {
            graph.put("authorityUrl", authorityUrl);
        }
        job.put("source", Map.of("type", "MICROSOFT_GRAPH", "graph", graph));
        return job;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutGraphSecret(Map<String, Object> job, String authorityUrl) {
        Map<String, Object> source = (Map<String, Object>) job.get("source");
        Map<String, Object> graph = new HashMap<>((Map<String, Object>) source.get("graph"));
        graph.remove("clientSecret");
        graph.put("authorityUrl", authorityUrl);
        Map<String, Object> changed = new HashMap<>(job);
        changed.put("source", Map.of("type", "MICROSOFT_GRAPH", "graph", graph));
        return changed;
    }

    @Test
    void aNewTenantUrlWithoutTheTokenIsRefusedAndTheStoredTokenStaysWithTheOldUrl(@TempDir Path dir) {
        Map<String, Object> job = job(dir.resolve("d.json"), "Off", TOKEN);
        String id = create(job);
        Map<String, Object> moved = new HashMap<>(job);
        moved.remove("secretToken");
        moved.put("tenantUrl", "https://attacker.example/scim");

        as(admin).body(moved).put("/jobs/" + id).then().statusCode(400)
                .body("errors.field", contains("secretToken"))
                .body("errors[0].message", containsString("tenantUrl changes"));
        as(reader).get("/jobs/" + id).then().statusCode(200)
                .body("tenantUrl", equalTo("https://apis.druva.test/insync/scim")).body("revision", equalTo(1));

        // the same URL without the token keeps it; a new URL with a new token is taken
        Map<String, Object> renamed = new HashMap<>(job);
        renamed.remove("secretToken");
        renamed.put("name", "Renamed");
        as(admin).body(renamed).put("/jobs/" + id).then().statusCode(200).body("secretTokenConfigured", equalTo(true));
        moved.put("secretToken", "token-for-the-new-tenant");
        as(admin).body(moved).put("/jobs/" + id).then().statusCode(200)
                .body("tenantUrl", equalTo("https://attacker.example/scim"));
    }

    @Test
    void aNewGraphAuthorityOrGraphUrlWithoutTheClientSecretIsRefused(@TempDir Path dir) {
        Map<String, Object> job = graphJob(dir, null);
        String id = create(job);

        as(admin).body(withoutGraphSecret(job, "https://login.attacker.example")).put("/jobs/" + id).then()
                .statusCode(400).body("errors.field", contains("source.graph.clientSecret"))
                .body(not(containsString("graph-secret-value")));
        @SuppressWarnings("unchecked")
        Map<String, Object> graph = new HashMap<>(
                (Map<String, Object>) ((Map<String, Object>) job.get("source")).get("graph"));
        graph.remove("clientSecret");
        graph.put("graphUrl", "https://graph.attacker.example/v1.0");
        Map<String, Object> newGraphUrl = new HashMap<>(job);
        newGraphUrl.put("source", Map.of("type", "MICROSOFT_GRAPH", "graph", graph));
        as(admin).body(newGraphUrl).put("/jobs/" + id).then().statusCode(400)
                .body("errors.field", contains("source.graph.clientSecret"));

        as(reader).get("/jobs/" + id).then().statusCode(200)
                .body("source.graph.authorityUrl", equalTo("https://login.microsoftonline.com"))
                .body("source.graph.graphUrl", equalTo("https://graph.microsoft.com/v1.0"));
    }

    @Test
    void aSecretWithALineBreakIsRefusedWithoutBeingEchoed(@TempDir Path dir) {
        for (String token : List.of(TOKEN + "\n", TOKEN + "\r\n", "Bearer\r\nX-Injected: " + TOKEN)) {
            as(admin).body(job(dir.resolve("d.json"), "Off", token)).post("/jobs").then().statusCode(400)
                    .body("errors.field", contains("secretToken"))
                    .body("errors[0].message", containsString("control characters"))
                    .body(not(containsString(TOKEN)));
        }
        String id = create(job(dir.resolve("d.json"), "Off", TOKEN));
        as(admin).body(job(dir.resolve("d.json"), "Off", "new-" + TOKEN + "\n")).put("/jobs/" + id).then()
                .statusCode(400).body("errors.field", contains("secretToken")).body(not(containsString(TOKEN)));
        Map<String, Object> graph = graphJob(dir, null);
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = new HashMap<>(
                (Map<String, Object>) ((Map<String, Object>) graph.get("source")).get("graph"));
        settings.put("clientSecret", "graph-secret-value\r\n");
        graph.put("source", Map.of("type", "MICROSOFT_GRAPH", "graph", settings));
        as(admin).body(graph).post("/jobs").then().statusCode(400)
                .body("errors.field", contains("source.graph.clientSecret"))
                .body(not(containsString("graph-secret-value")));
        as(admin).body(Map.of("tenantUrl", "https://apis.druva.test/insync/scim", "secretToken", TOKEN + "\n"))
                .post("/jobs/test-connection").then().statusCode(400).body("errors.field", contains("secretToken"))
                .body(not(containsString(TOKEN)));
    }

    @Test
    void plainHttpIsRefusedOutsideLoopback(@TempDir Path dir) {
        for (String url : List.of("http://apis.druva.com/insync/scim", "http://10.1.2.3/scim",
                "http://localhost.attacker.example/scim")) {
            Map<String, Object> job = new HashMap<>(job(dir.resolve("d.json"), "Off", TOKEN));
            job.put("tenantUrl", url);
            as(admin).body(job).post("/jobs").then().statusCode(400).body("errors.field", contains("tenantUrl"))
                    .body("errors[0].message", containsString("must use https"));
            as(admin).body(Map.of("tenantUrl", url, "secretToken", TOKEN)).post("/jobs/test-connection").then()
                    .statusCode(400).body("errors.field", contains("tenantUrl"));
        }
        as(admin).body(graphJob(dir, "http://login.attacker.example")).post("/jobs").then().statusCode(400)
                .body("errors.field", contains("source.graph.authorityUrl"));
        // the tests' SCIM servers listen on loopback without TLS: allowed by detector.allow-insecure-loopback (%test)
        Map<String, Object> loopback = new HashMap<>(job(dir.resolve("d.json"), "Off", TOKEN));
        loopback.put("tenantUrl", "http://127.0.0.1:8089/scim");
        create(loopback);
    }

    @Test
    void nestingAndSizeLimitsAre400sNamingTheField(@TempDir Path dir) {
        Map<String, Object> deep = new HashMap<>(job(dir.resolve("d.json"), "Off", TOKEN));
        deep.put("userMappings", List.of(
                Map.of("type", "DIRECT", "source", "userPrincipalName", "target", "userName", "matchingPrecedence", 1),
                Map.of("type", "EXPRESSION", "source", "ToUpper(".repeat(800) + "[mail]" + ")".repeat(800),
                        "target", "displayName")));
        as(admin).body(deep).post("/jobs").then().statusCode(400)
                .body("errors.field", hasItem("userMappings[1].source"))
                .body("errors.message", hasItem(containsString("nested more than")));

        Map<String, Object> filters = new HashMap<>(job(dir.resolve("d.json"), "Off", TOKEN));
        Map<String, Object> filter = Map.of("name", "f", "clauses",
                List.of(Map.of("attribute", "department", "operator", "EQUALS", "value", "Sales")));
        filters.put("userScopingFilters", Collections.nCopies(JobValidator.MAX_FILTERS + 1, filter));
        as(admin).body(filters).post("/jobs").then().statusCode(400)
                .body("errors.field", contains("userScopingFilters"));

        Map<String, Object> huge = new HashMap<>(job(dir.resolve("d.json"), "Off", TOKEN));
        huge.put("tenantUrl", "https://apis.druva.test/" + "a".repeat(5000));
        huge.put("notificationEmail", "a".repeat(300) + "@example.test");
        huge.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", "/" + "d".repeat(5000)));
        huge.put("secretToken", "t".repeat(JobValidator.MAX_SECRET + 1));
        as(admin).body(huge).post("/jobs").then().statusCode(400)
                .body("errors.field", hasItems("tenantUrl", "notificationEmail", "source.directoryFile",
                        "secretToken"))
                .body("errors.message", everyItem(containsString("at most")))
                .body(not(containsString("aaaaaaaaaa")));
    }

    @Test
    void cycleIntervalReadsAsItIsWritten(@TempDir Path dir) {
        Map<String, Object> job = job(dir.resolve("d.json"), "Off", TOKEN);
        String id = create(job);
        String interval = as(reader).get("/jobs/" + id).then().statusCode(200).extract().path("cycleInterval");
        assertThat(interval).isEqualTo("PT5S");
        Map<String, Object> again = new HashMap<>(job);
        again.put("cycleInterval", interval);
        as(admin).body(again).put("/jobs/" + id).then().statusCode(200).body("cycleInterval", equalTo("PT5S"));
    }

    @Test
    void everyChangeIsAuditedWithItsCallerAndFieldNamesNewestFirst(@TempDir Path dir) {
        Map<String, Object> job = job(dir.resolve("d.json"), "Off", TOKEN);
        String id = create(job);
        Map<String, Object> changed = new HashMap<>(job);
        changed.put("name", "Druva renamed");
        changed.put("secretToken", "second-" + TOKEN);
        as(admin).body(changed).put("/jobs/" + id).then().statusCode(200);
        as(operator).post("/jobs/" + id + "/start").then().statusCode(200);
        as(operator).post("/jobs/" + id + "/pause").then().statusCode(200);
        as(operator).body(Map.of("resetScope", List.of("Full"))).post("/jobs/" + id + "/restart").then()
                .statusCode(200);
        as(admin).post("/jobs/" + id + "/allow-deletes").then().statusCode(200);
        as(admin).delete("/jobs/" + id).then().statusCode(204);

        String body = as(reader).get("/jobs/" + id + "/audit").then().statusCode(200)
                .body("entries.action", contains("delete", "allow-deletes", "restart", "pause", "start", "update",
                        "create"))
                .body("entries.actor", contains("ada.admin@contoso.example", "ada.admin@contoso.example",
                        "otto.operator@contoso.example", "otto.operator@contoso.example",
                        "otto.operator@contoso.example", "ada.admin@contoso.example", "ada.admin@contoso.example"))
                .body("entries[0].at", notNullValue())
                .body("entries[5].fields", contains("name", "secretToken"))
                .body("entries[6].fields", hasItems("name", "tenantUrl", "secretToken", "source.directoryFile"))
                .body("entries[4].fields", contains("state"))
                .body("entries[3].fields", contains("state"))
                .body("entries[2].detail", containsString("Full"))
                .body("entries[0].fields", empty())
                .body("nextBefore", nullValue())
                .extract().asString();
        assertThat(body).doesNotContain(TOKEN).doesNotContain("Druva renamed");

        // pages: limit and the before cursor
        JsonPath first = JsonPath.from(as(reader).get("/jobs/" + id + "/audit?limit=3").then().statusCode(200)
                .body("entries.action", contains("delete", "allow-deletes", "restart")).extract().asString());
        long next = first.getLong("nextBefore");
        List<String> rest = new ArrayList<>(as(reader).get("/jobs/" + id + "/audit?limit=3&before=" + next).then()
                .statusCode(200).body("entries.action", contains("pause", "start", "update")).extract()
                .path("entries.action"));
        assertThat(rest).hasSize(3);
    }

    @Test
    void aJobsOwnBodySentBackChangesOnlyWhatWasEditedAndAnAbsentMemberKeepsItsValue(@TempDir Path dir)
            throws Exception {
        java.nio.file.Files.writeString(dir.resolve("d.json"), "{\"users\": [], \"groups\": [], \"assignments\": []}");
        Map<String, Object> job = new HashMap<>(job(dir.resolve("d.json"), "On", TOKEN));
        job.put("scope", "ALL");
        job.put("skipOutOfScopeDeletions", true);
        job.put("cycleInterval", "PT1H");
        String id = create(job);

        // GET -> edit the name -> PUT the whole body back (its read-only members too): the job stays On
        Map<String, Object> read = new HashMap<>(as(reader).get("/jobs/" + id).then().statusCode(200)
                .body("provisioningStatus", equalTo("On")).extract().jsonPath().getMap(""));
        read.put("name", "Druva edited");
        as(admin).body(read).put("/jobs/" + id).then().statusCode(200)
                .body("state", equalTo("ACTIVE")).body("provisioningStatus", equalTo("On"));
        as(reader).get("/jobs/" + id + "/audit?limit=1").then().statusCode(200)
                .body("entries[0].action", equalTo("update")).body("entries[0].fields", contains("name"));

        // only what has no default: every other setting keeps its value, nothing is audited as changed
        Map<String, Object> minimal = Map.of("name", "Druva edited", "tenantUrl", job.get("tenantUrl"), "source",
                job.get("source"));
        as(admin).body(minimal).put("/jobs/" + id).then().statusCode(200)
                .body("provisioningStatus", equalTo("On")).body("scope", equalTo("ALL"))
                .body("skipOutOfScopeDeletions", equalTo(true)).body("cycleInterval", equalTo("PT1H"))
                .body("notificationEmail", equalTo("admin@example.test")).body("notifyOnFailure", equalTo(true));
        as(reader).get("/jobs/" + id + "/audit?limit=1").then().statusCode(200)
                .body("entries[0].fields", contains("name"));

        // a new token alone (the trial's PUT): name, tenant URL and source are the job's own, and it stays On
        as(admin).body(Map.of("secretToken", "a-new-token")).put("/jobs/" + id).then().statusCode(200)
                .body("name", equalTo("Druva edited")).body("tenantUrl", equalTo(job.get("tenantUrl")))
                .body("source.directoryFile", equalTo(dir.resolve("d.json").toString()))
                .body("provisioningStatus", equalTo("On")).body("scope", equalTo("ALL"))
                .body(not(containsString("a-new-token")));
        as(reader).get("/jobs/" + id + "/audit?limit=1").then().statusCode(200)
                .body("entries[0].fields", contains("secretToken"));
        // sent blank is not absent: still refused, naming each
        as(admin).body(Map.of("name", "", "tenantUrl", "")).put("/jobs/" + id).then().statusCode(400)
                .body("errors.field", containsInAnyOrder("name", "tenantUrl"));

        // a value sent is taken: Off pauses it, a blank email clears it (and notifyOnFailure needs one)
        Map<String, Object> off = new HashMap<>(minimal);
        off.put("provisioningStatus", "Off");
        as(reader).get("/jobs/" + id + "/status").then().statusCode(200).body("nextCycleAt", notNullValue());
        as(admin).body(off).put("/jobs/" + id).then().statusCode(200).body("state", equalTo("PAUSED"))
                .body("provisioningStatus", equalTo("Off"));
        // no cycle is due while provisioning is off
        as(reader).get("/jobs/" + id + "/status").then().statusCode(200).body("state", equalTo("PAUSED"))
                .body("nextCycleAt", nullValue());
        off.put("notificationEmail", "");
        as(admin).body(off).put("/jobs/" + id).then().statusCode(400)
                .body("errors.field", contains("notificationEmail"));
        as(admin).delete("/jobs/" + id).then().statusCode(204);
    }

    @Test
    void badPagingParametersAre400sNamingThem() {
        for (String query : List.of("limit=0", "limit=501", "limit=ten", "limit=-1")) {
            as(reader).get("/jobs/any/audit?" + query).then().statusCode(400).body("errors.field", contains("limit"))
                    .body("errors[0].message", containsString("1 to 500"));
        }
        for (String query : List.of("before=0", "before=x", "before=1.5")) {
            as(reader).get("/jobs/any/audit?" + query).then().statusCode(400).body("errors.field",
                    contains("before"));
        }
        as(reader).get("/jobs/any/audit?limit=5&actor=me").then().statusCode(400)
                .body("errors.field", contains("actor"))
                .body("errors[0].message", equalTo("is not a parameter of this endpoint (it takes before, limit)"));
        as(reader).get("/jobs/no-such-job/audit").then().statusCode(404);
        given().get("/jobs/any/audit").then().statusCode(401);
    }
}
