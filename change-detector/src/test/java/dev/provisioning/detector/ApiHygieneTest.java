package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.nio.file.Path;
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
import io.restassured.specification.RequestSpecification;

import dev.provisioning.events.Json;
import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * Bodies the jobs API refuses before any logic sees them: malformed JSON, a field of the wrong type, a field the API
 * does not know (each a 400 problem naming the field, as a dotted name and a JSON Pointer, without echoing the value;
 * a member whose name starts with {@code _} is a comment, taken and dropped),
 * a media type other than JSON on a mutating endpoint (415), and a body over the size limit (413).
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
class ApiHygieneTest {

    static String admin;
    static String operator;

    @BeforeAll
    static void tokens() {
        admin = LocalStackTestResource.stack().issuer().token("hygiene-admin", LocalIssuer.ADMIN);
        operator = LocalStackTestResource.stack().issuer().token("hygiene-operator", LocalIssuer.OPERATOR);
    }

    private static RequestSpecification asAdmin() {
        return given().auth().oauth2(admin);
    }

    private static String json(Map<String, Object> body) {
        return Json.write(body);
    }

    @Test
    void malformedJsonIsA400ProblemThatSaysWhereWithoutEchoingTheBody(@TempDir Path dir) {
        String body = json(job(dir.resolve("d.json"), "Off", "a-secret-value"));
        String broken = body.substring(0, body.length() - 1) + ", \"name\": secret-unquoted-value}";

        asAdmin().contentType(ContentType.JSON).body(broken).post("/jobs").then().statusCode(400)
                .contentType("application/problem+json")
                .body("title", equalTo("Bad Request"))
                .body("detail", containsString("not valid JSON"))
                .body("detail", containsString("line 1"))
                .body("errors[0].field", equalTo("name"))
                .body("errors[0].pointer", equalTo("/name"))
                .body(not(containsString("secret-unquoted-value")))
                .body(not(containsString("a-secret-value")));

        asAdmin().contentType(ContentType.JSON).body("{\"name\": \"x\"").post("/jobs").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("not valid JSON"));
    }

    @Test
    void aFieldOfTheWrongTypeIsNamedAsAFieldAndAPointer(@TempDir Path dir) {
        Map<String, Object> cases = Map.of(
                "notifyOnFailure", "sometimes",
                "deletionThreshold", "500",
                "name", 5,
                "userMappings", Map.of("not", "a list"),
                "source", "a file");
        cases.forEach((field, value) -> {
            Map<String, Object> job = new HashMap<>(job(dir.resolve("d.json"), "Off", "t"));
            job.put(field, value);
            asAdmin().contentType(ContentType.JSON).body(json(job)).post("/jobs").then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("errors[0].field", equalTo(field))
                    .body("errors[0].pointer", equalTo("/" + field))
                    .body("errors[0].message", containsString("must be"))
                    .body(not(containsString("java.")));
        });

        Map<String, Object> nested = new HashMap<>(job(dir.resolve("d.json"), "Off", "t"));
        nested.put("userMappings", List.of(Map.of("type", "DIRECT", "source", "mail", "target", "userName"),
                Map.of("type", "DIRECT", "source", "mail", "target", "emails", "matchingPrecedence", "first")));
        asAdmin().contentType(ContentType.JSON).body(json(nested)).post("/jobs").then().statusCode(400)
                .body("errors[0].field", equalTo("userMappings[1].matchingPrecedence"))
                .body("errors[0].pointer", equalTo("/userMappings/1/matchingPrecedence"))
                .body("errors[0].message", equalTo("must be an integer"));

        asAdmin().contentType(ContentType.JSON).body("{\"resetScope\": \"Full\"}").post("/jobs/any/restart").then()
                .statusCode(400).body("errors[0].field", equalTo("resetScope"))
                .body("errors[0].message", equalTo("must be an array"));
    }

    @Test
    void anUnknownFieldIsRefusedAndNamedAtAnyDepth(@TempDir Path dir) {
        Map<String, Object> top = new HashMap<>(job(dir.resolve("d.json"), "Off", "t"));
        top.put("tenantURL", "https://elsewhere.test/scim");
        asAdmin().contentType(ContentType.JSON).body(json(top)).post("/jobs").then().statusCode(400)
                .contentType("application/problem+json")
                .body("errors[0].field", equalTo("tenantURL"))
                .body("errors[0].pointer", equalTo("/tenantURL"))
                .body("errors[0].message", containsString("is not a known field"))
                .body("errors[0].message", containsString("tenantUrl"));

        Map<String, Object> inSource = new HashMap<>(job(dir.resolve("d.json"), "Off", "t"));
        inSource.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", "/d.json", "path", "/etc/passwd"));
        asAdmin().contentType(ContentType.JSON).body(json(inSource)).post("/jobs").then().statusCode(400)
                .body("errors[0].field", equalTo("source.path"))
                .body("errors[0].pointer", equalTo("/source/path"));

        Map<String, Object> inMapping = new HashMap<>(job(dir.resolve("d.json"), "Off", "t"));
        inMapping.put("userMappings",
                List.of(Map.of("type", "DIRECT", "source", "mail", "target", "userName", "colour", "red")));
        asAdmin().contentType(ContentType.JSON).body(json(inMapping)).post("/jobs").then().statusCode(400)
                .body("errors[0].field", equalTo("userMappings[0].colour"))
                .body("errors[0].pointer", equalTo("/userMappings/0/colour"));

        asAdmin().contentType(ContentType.JSON).body("{\"objectId\": \"u0\", \"force\": true}")
                .post("/jobs/any/provision-on-demand").then().statusCode(400)
                .body("errors[0].field", equalTo("force"));
    }

    @Test
    void aMemberWhoseNameStartsWithAnUnderscoreIsACommentTakenAndNeverStored(@TempDir Path dir) {
        // a field case's job file carries "_case"; the directory file allows such comments on every object, so does a job
        Map<String, Object> job = new HashMap<>(job(dir.resolve("d.json"), "Off", "t"));
        job.put("_case", "01-single-app-role-value: a field case's comment");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", dir.resolve("d.json").toString(),
                "_note", List.of("any", "JSON", Map.of("value", 1))));
        job.put("actions", Map.of("create", true, "update", true, "delete", false, "_why", "no deletes yet"));
        String id = asAdmin().contentType(ContentType.JSON).body(json(job)).post("/jobs").then().statusCode(201)
                .body("actions.delete", equalTo(false))
                .body(not(containsString("\"_"))).extract().path("id");
        asAdmin().get("/jobs/{id}", id).then().statusCode(200)
                .body("source.directoryFile", equalTo(dir.resolve("d.json").toString()))
                .body(not(containsString("_case"))).body(not(containsString("_note")))
                .body(not(containsString("_why"))).body(not(containsString("no deletes yet")));

        // any other unknown member is still refused by name, beside a comment
        job.put("colour", "red");
        asAdmin().contentType(ContentType.JSON).body(json(job)).post("/jobs").then().statusCode(400)
                .contentType("application/problem+json")
                .body("errors[0].field", equalTo("colour"))
                .body("errors[0].message", containsString("is not a known field"));
    }

    @Test
    void mutatingEndpointsTakeJsonOnlyAndABodylessPostNeedsNoContentType(@TempDir Path dir) {
        String jobId = asAdmin().contentType(ContentType.JSON).body(json(job(dir.resolve("d.json"), "Off", "t")))
                .post("/jobs").then().statusCode(201).extract().path("id");

        for (String action : List.of("start", "pause", "allow-deletes", "test-connection", "restart")) {
            String path = "/jobs/" + jobId + "/" + action;
            given().auth().oauth2(admin).contentType("text/plain").body("On").post(path).then().statusCode(415)
                    .contentType("application/problem+json").body("title", equalTo("Unsupported Media Type"));
            given().auth().oauth2(admin).contentType(ContentType.URLENC).formParam("state", "On").post(path).then()
                    .statusCode(415);
        }
        asAdmin().contentType("text/plain").body("{}").post("/jobs").then().statusCode(415);
        asAdmin().contentType("text/plain").body("{}").put("/jobs/" + jobId).then().statusCode(415);
        asAdmin().contentType(ContentType.XML).body("<job/>").post("/jobs/test-connection").then().statusCode(415);

        // a POST without a body works without a Content-Type, with application/json, and labelled as a form
        java.net.http.HttpResponse<String> bare = send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create(io.restassured.RestAssured.baseURI + ":"
                        + io.restassured.RestAssured.port + "/jobs/" + jobId + "/pause"))
                .header("Authorization", "Bearer " + operator)
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
        org.assertj.core.api.Assertions.assertThat(bare.statusCode()).as(bare.body()).isEqualTo(200);
        given().auth().oauth2(operator).contentType(ContentType.JSON).post("/jobs/" + jobId + "/pause").then()
                .statusCode(200);
        given().auth().oauth2(operator).contentType(ContentType.URLENC).post("/jobs/" + jobId + "/restart").then()
                .statusCode(200);
    }

    private static java.net.http.HttpResponse<String> send(java.net.http.HttpRequest request) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(request,
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aBodyOverTheLimitIs413(@TempDir Path dir) {
        Map<String, Object> huge = new HashMap<>(job(dir.resolve("d.json"), "Off", "t"));
        huge.put("name", "x".repeat(300 * 1024));
        asAdmin().contentType(ContentType.JSON).body(json(huge)).post("/jobs").then().statusCode(413);
    }

    @Test
    void aCallerWithoutATokenLearnsNothingAboutItsBody() {
        // the token is checked before the body is read (only the media type is checked earlier, when routing)
        given().contentType(ContentType.JSON).body("{\"name\": ").post("/jobs").then().statusCode(401)
                .body(not(containsString("JSON")));
        given().contentType(ContentType.JSON).body("{\"colour\": \"red\"}").post("/jobs").then().statusCode(401)
                .body(not(containsString("colour")));
    }
}
