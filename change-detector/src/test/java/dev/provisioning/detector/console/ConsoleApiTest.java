package dev.provisioning.detector.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;

import dev.provisioning.detector.WriterStub;
import dev.provisioning.detector.api.Roles;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * What the operator console asks beyond the jobs API: an expression checked as it is typed, one mapping tested
 * against one source user with the mapping engine (the value Druva would receive, "not sent" for null, the error),
 * the source's users to pick from (a source that cannot be read: 503 with the reason) and the token's expiry; and the console's own files, served
 * without a token with headers that keep a token in the page safe.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class ConsoleApiTest {

    static Path directory;

    @BeforeAll
    static void directory() throws Exception {
        directory = Files.createTempFile("console-directory", ".json");
        Files.writeString(directory, """
                {"users": [
                  {"id": "u1", "userPrincipalName": "ada@contoso.test", "mail": "ada@contoso.test",
                   "givenName": "Ada", "surname": "Lovelace", "displayName": "Ada Lovelace", "accountEnabled": true},
                  {"id": "u2", "userPrincipalName": "bob@contoso.test", "givenName": "Bob",
                   "displayName": "Bob NoTitle", "accountEnabled": true}],
                 "groups": [{"id": "g1", "displayName": "Engineering", "members": ["u1"]}],
                 "assignments": [{"principalId": "u1", "principalType": "User", "appRoleId": "r1"}]}""");
    }

    static String createJob() {
        Map<String, Object> job = new HashMap<>();
        job.put("name", "Console test");
        job.put("tenantUrl", "https://apis.druva.test/insync/scim");
        job.put("secretToken", "console-token-" + System.nanoTime());
        job.put("provisioningStatus", "Off");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        return given().contentType(ContentType.JSON).body(job).post("/jobs").then().statusCode(201).extract()
                .path("id");
    }

    static Map<String, Object> mapping(String type, String source, String target, String defaultValue) {
        Map<String, Object> m = new HashMap<>();
        m.put("type", type);
        m.put("source", source);
        m.put("target", target);
        m.put("defaultValue", defaultValue);
        m.put("apply", "ALWAYS");
        m.put("matchingPrecedence", 0);
        return m;
    }

    @Test
    void anExpressionIsValidatedWithThePositionOfItsError() {
        given().contentType(ContentType.JSON).body(Map.of("expression", "Join(\".\", [givenName], [surname])"))
                .post("/expressions/validate").then().statusCode(200)
                .body("valid", equalTo(true)).body("errors", empty())
                .body("attributes", contains("givenName", "surname")).body("functions", contains("Join"));
        given().contentType(ContentType.JSON).body(Map.of("expression", "Join(\".\", [givenName]"))
                .post("/expressions/validate").then().statusCode(200)
                .body("valid", equalTo(false)).body("errors[0].field", equalTo("expression"))
                .body("errors[0].position", org.hamcrest.Matchers.greaterThan(1))
                .body("errors[0].message", containsString("at position"));
        given().contentType(ContentType.JSON).body(Map.of()).post("/expressions/validate").then().statusCode(400)
                .body("errors[0].field", equalTo("expression"));
    }

    @Test
    void aMappingIsTestedAgainstASourceUserWithTheValueDruvaWouldReceive() {
        String job = createJob();
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping",
                        mapping("EXPRESSION", "Join(\".\", [givenName], [surname])", "externalId", null),
                        "objectId", "u1"))
                .post("/jobs/{id}/mappings/test", job).then().statusCode(200)
                .body("outcome", equalTo("SENT")).body("value", equalTo("Ada.Lovelace"))
                .body("displayName", equalTo("Ada Lovelace")).body("target", equalTo("externalId"))
                .body("createOnly", equalTo(false)).body("scope", nullValue());

        // null: not sent, or the default on create; u2 is not assigned, which the answer says
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping", mapping("DIRECT", "jobTitle", "title", null), "objectId", "u2"))
                .post("/jobs/{id}/mappings/test", job).then().statusCode(200)
                .body("outcome", equalTo("NOT_SENT")).body("value", nullValue())
                .body("scope", containsString("NotEffectivelyEntitled"));
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping", mapping("DIRECT", "jobTitle", "title", "Staff"), "objectId", "u1"))
                .post("/jobs/{id}/mappings/test", job).then().statusCode(200)
                .body("outcome", equalTo("DEFAULT_ON_CREATE")).body("value", equalTo("Staff"))
                .body("createOnly", equalTo(true));

        // an evaluation error, and a boolean target converted
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping", mapping("DIRECT", "displayName", "active", null), "objectId", "u1"))
                .post("/jobs/{id}/mappings/test", job).then().statusCode(200)
                .body("outcome", equalTo("FAILED")).body("error", containsString("expected True or False"));
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping", mapping("EXPRESSION", "Not([IsSoftDeleted])", "active", null), "objectId",
                        "u1"))
                .post("/jobs/{id}/mappings/test", job).then().statusCode(200)
                .body("outcome", equalTo("SENT")).body("value", equalTo(true));
    }

    @Test
    void anInvalidMappingOrAnUnknownUserIsRefusedNamingTheField() {
        String job = createJob();
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping", mapping("EXPRESSION", "Join(\".\", [givenName]", "externalId", null),
                        "objectId", "u1"))
                .post("/jobs/{id}/mappings/test", job).then().statusCode(400)
                .body("errors[0].field", equalTo("mapping.source"))
                .body("errors[0].message", containsString("at position"));
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping", mapping("DIRECT", "mail", "title", null), "objectId", "nobody"))
                .post("/jobs/{id}/mappings/test", job).then().statusCode(400)
                .body("errors[0].field", equalTo("objectId"));
        given().contentType(ContentType.JSON).body(Map.of()).post("/jobs/{id}/mappings/test", job).then()
                .statusCode(400).body("errors.field", contains("mapping", "objectId"));
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping", mapping("DIRECT", "mail", "title", null), "objectId", "u1"))
                .post("/jobs/{id}/mappings/test", "no-such-job").then().statusCode(404);
    }

    @Test
    void theSourceIsSearchedForUsersAndGroups() {
        String job = createJob();
        given().get("/jobs/{id}/source-objects?search=ada", job).then().statusCode(200)
                .body("id", contains("u1")).body("[0].userPrincipalName", equalTo("ada@contoso.test"));
        given().get("/jobs/{id}/source-objects", job).then().statusCode(200)
                .body("id", contains("u1", "u2", "g1")).body("objectType", contains("USER", "USER", "GROUP"));
        given().get("/jobs/{id}/source-objects?limit=0", job).then().statusCode(400)
                .body("errors[0].field", equalTo("limit"));
        given().get("/jobs/{id}/source-objects?limit=abc", job).then().statusCode(400)
                .body("errors[0].field", equalTo("limit"))
                .body("detail", equalTo("Invalid query parameter: limit must be a whole number from 1 to 200"));
        given().get("/jobs/{id}/source-objects?q=ada", job).then().statusCode(400)
                .body("errors.field", contains("q"))
                .body("errors[0].message", equalTo("is not a parameter of this endpoint (it takes search, limit)"));
    }

    @Test
    void aSourceThatCannotBeReadIsTheSourcesProblemNamed() throws Exception {
        Path broken = Files.createTempFile("console-broken", ".json");
        Files.writeString(broken, "{\"users\": [");
        Map<String, Object> job = new HashMap<>();
        job.put("name", "Console broken source");
        job.put("tenantUrl", "https://apis.druva.test/insync/scim");
        job.put("secretToken", "console-token-" + System.nanoTime());
        job.put("provisioningStatus", "Off");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", broken.toString()));
        String id = given().contentType(ContentType.JSON).body(job).post("/jobs").then().statusCode(201).extract()
                .path("id");
        given().get("/jobs/{id}/source-objects", id).then().statusCode(503)
                .contentType("application/problem+json")
                .body("title", equalTo("Service Unavailable"))
                .body("detail", startsWith("The job's source cannot be read: "))
                .body("detail", containsString(broken.getFileName().toString()));
        given().contentType(ContentType.JSON)
                .body(Map.of("mapping", mapping("DIRECT", "mail", "title", null), "objectId", "u1"))
                .post("/jobs/{id}/mappings/test", id).then().statusCode(503)
                .contentType("application/problem+json")
                .body("detail", startsWith("The job's source cannot be read: "));
    }

    @Test
    void tokenExpiryAndTheDefaultMappingsAreRead() {
        String job = createJob();
        given().get("/jobs/{id}/token-expiry", job).then().statusCode(200)
                .body("expiringSoon", equalTo(false)).body("expired", equalTo(false))
                .body("setAt", org.hamcrest.Matchers.notNullValue())
                .body("expiresAt", org.hamcrest.Matchers.notNullValue());
        given().get("/mappings/defaults").then().statusCode(200)
                .body("target", hasItem("userName")).body("target", hasItem("emails[type eq \"work\"].value"));
    }

    @Test
    @TestSecurity
    void theConsoleIsServedWithoutATokenWithHeadersThatKeepATokenInThePageSafe() throws Exception {
        String page = given().get("/console/").then().statusCode(200)
                .header("X-Frame-Options", "DENY").header("Referrer-Policy", "no-referrer")
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                .extract().asString();
        assertThat(page).contains("<provisioning-console>");
        String csp = given().get("/console/").header("Content-Security-Policy");
        // the import map is the page's one inline script: the policy allows exactly it, by its hash
        Matcher importMap = Pattern.compile("<script type=\"importmap\">(.*?)</script>", Pattern.DOTALL).matcher(page);
        assertThat(importMap.find()).isTrue();
        String hash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(importMap.group(1).getBytes(StandardCharsets.UTF_8)));
        assertThat(csp).contains("script-src 'self' 'sha256-" + hash + "'");
        // every module the import map names is served (Lit from its mvnpm jars, versionless)
        for (String path : List.of("/_static/lit/index.js", "/_static/lit-html/lit-html.js",
                "/_static/lit-element/lit-element.js", "/_static/reactive-element/reactive-element.js",
                "/console/app.js", "/console/console.css")) {
            given().get(path).then().statusCode(200);
        }
        // the data is not: the API still wants a token
        given().get("/jobs").then().statusCode(401);
    }

    @Test
    @TestSecurity
    void theConsoleTypedWithoutItsTrailingSlashIsRedirectedToIt() {
        given().redirects().follow(false).get("/console").then().statusCode(308)
                .header("Location", "/console/");
        given().redirects().follow(false).get("/console?job=j1").then().statusCode(308)
                .header("Location", "/console/?job=j1");
        // followed, it is the console's page
        assertThat(given().get("/console").then().statusCode(200).extract().asString())
                .contains("<provisioning-console>");
    }
}
