package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * Who may do what on the jobs API, with real tokens signed by the local issuer: every endpoint without a token (401),
 * with each role that is not enough (403), without any role (403) and with each role that is (its normal answer), all
 * with RFC 9457 problem details; tokens that are expired, for another audience or signed by another key (401); and the
 * management interface: metrics, health and OpenAPI on their own port, not on the API's.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
class JobsApiSecurityTest {

    static final String ADMIN = LocalIssuer.ADMIN;
    static final String OPERATOR = LocalIssuer.OPERATOR;
    static final String READER = LocalIssuer.READER;
    static final Set<String> ANYONE = Set.of(READER, OPERATOR, ADMIN);
    static final Set<String> OPERATORS = Set.of(OPERATOR, ADMIN);
    static final Set<String> ADMINS = Set.of(ADMIN);

    static Path directory;
    static String jobId;

    @TestHTTPResource(value = "/", management = true)
    URL management;

    /**
     * One endpoint of the API: who may call it and what a permitted caller gets.
     *
     * @param path the path, {@code {id}} standing for a job that exists
     * @param body a fresh JSON body per call, or null for none
     * @param allowed the roles that may call it
     * @param expected the status a permitted caller gets
     */
    record Endpoint(String method, String path, Supplier<Object> body, Set<String> allowed, int expected) {

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    static List<Endpoint> endpoints() {
        return List.of(
                new Endpoint("POST", "/jobs", () -> job(directory, "Off", "token-" + System.nanoTime()), ADMINS, 201),
                new Endpoint("GET", "/jobs", null, ANYONE, 200),
                new Endpoint("GET", "/jobs/{id}", null, ANYONE, 200),
                new Endpoint("PUT", "/jobs/{id}", () -> job(directory, "Off", null), ADMINS, 200),
                // a job of its own per call, created by an administrator
                new Endpoint("DELETE", "/jobs/{new}", null, ADMINS, 204),
                new Endpoint("POST", "/jobs/{id}/start", null, OPERATORS, 200),
                new Endpoint("POST", "/jobs/{id}/pause", null, OPERATORS, 200),
                new Endpoint("POST", "/jobs/{id}/restart", () -> Map.of("resetScope", List.of("Full")), OPERATORS,
                        200),
                new Endpoint("POST", "/jobs/{id}/allow-deletes", null, ADMINS, 200),
                new Endpoint("POST", "/jobs/{id}/test-connection", null, OPERATORS, 200),
                new Endpoint("POST", "/jobs/test-connection",
                        () -> Map.of("tenantUrl", "https://apis.druva.test/insync/scim", "secretToken", "unsaved"),
                        ADMINS, 200),
                // an object the source does not have: refused naming objectId, after the role check
                new Endpoint("POST", "/jobs/{id}/provision-on-demand", () -> Map.of("objectId", "nobody"), OPERATORS,
                        400),
                new Endpoint("GET", "/jobs/{id}/status", null, ANYONE, 200),
                new Endpoint("GET", "/jobs/{id}/logs", null, ANYONE, 200),
                new Endpoint("GET", "/jobs/{id}/audit", null, ANYONE, 200),
                // the operator console's calls (dev.provisioning.detector.console)
                new Endpoint("POST", "/expressions/validate", () -> Map.of("expression", "Trim([mail])"), ANYONE, 200),
                new Endpoint("GET", "/mappings/defaults", null, ANYONE, 200),
                new Endpoint("POST", "/jobs/{id}/mappings/test", () -> Map.of("mapping", Map.of("type", "DIRECT",
                        "source", "mail", "target", "title"), "objectId", "u0"), OPERATORS, 200),
                new Endpoint("GET", "/jobs/{id}/source-objects", null, OPERATORS, 200),
                new Endpoint("GET", "/jobs/{id}/token-expiry", null, ANYONE, 200));
    }

    /** Once, when the application is up (RestAssured knows its port from the first test on). */
    @BeforeEach
    void aJob() throws Exception {
        if (jobId != null) {
            return;
        }
        directory = Files.createTempFile("security-directory", ".json");
        Files.writeString(directory, TestJobs.users(1, 0));
        jobId = given().auth().oauth2(token(ADMIN)).contentType(ContentType.JSON)
                .body(job(directory, "Off", "token-" + System.nanoTime())).post("/jobs").then().statusCode(201)
                .extract().path("id");
        WriterStub.ANSWERS.put("/jobs/" + jobId + "/connection-test",
                body -> "{\"success\": true, \"httpStatus\": 200, \"message\": \"Druva answered\"}");
        WriterStub.ANSWERS.put("/connection-tests",
                body -> "{\"success\": true, \"httpStatus\": 200, \"message\": \"Druva answered\"}");
    }

    static String token(String... roles) {
        return LocalStackTestResource.stack().issuer().token("test-" + String.join("-", roles), roles);
    }

    private static Response call(Endpoint endpoint, String token) {
        String path = endpoint.path().replace("{id}", jobId);
        if (path.contains("{new}")) {
            String fresh = given().auth().oauth2(token(ADMIN)).contentType(ContentType.JSON)
                    .body(job(directory, "Off", "token-" + System.nanoTime())).post("/jobs").then().statusCode(201)
                    .extract().path("id");
            path = path.replace("{new}", fresh);
        }
        RequestSpecification request = given();
        if (token != null) {
            request.auth().oauth2(token);
        }
        if (endpoint.body() != null) {
            request.contentType(ContentType.JSON).body(endpoint.body().get());
        }
        return request.request(endpoint.method(), path);
    }

    @ParameterizedTest(name = "{0} without a token: 401")
    @MethodSource("endpoints")
    void withoutATokenEveryEndpointAnswers401WithAChallengeAndAProblem(Endpoint endpoint) {
        call(endpoint, null).then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer"))
                .contentType("application/problem+json")
                .body("status", equalTo(401)).body("title", equalTo("Unauthorized"))
                .body("detail", containsString("bearer token"));
    }

    @ParameterizedTest(name = "{0} with a role that is not enough, or none: 403")
    @MethodSource("endpoints")
    void aRoleThatIsNotEnoughIs403WithAProblemNamingTheRolesNeeded(Endpoint endpoint) {
        List<String> tokens = new ArrayList<>();
        for (String role : List.of(READER, OPERATOR, ADMIN, LocalIssuer.SERVICE)) {
            if (!endpoint.allowed().contains(role)) {
                tokens.add(token(role));
            }
        }
        tokens.add(token()); // a valid token without any role
        for (String token : tokens) {
            call(endpoint, token).then().statusCode(403)
                    .contentType("application/problem+json")
                    .body("status", equalTo(403)).body("title", equalTo("Forbidden"))
                    .body("detail", containsString(ADMIN));
        }
    }

    @ParameterizedTest(name = "{0} with a role that is enough: its answer")
    @MethodSource("endpoints")
    void eachRoleThatIsEnoughGetsTheEndpointsAnswer(Endpoint endpoint) {
        for (String role : endpoint.allowed()) {
            Response answer = call(endpoint, token(role));
            assertThat(answer.statusCode()).as(endpoint + " as " + role + ": " + answer.asString())
                    .isEqualTo(endpoint.expected());
        }
    }

    @Test
    void aTokenThatIsExpiredForAnotherAudienceSignedByAnotherKeyOrNotAJwtIs401InvalidToken() {
        LocalIssuer issuer = LocalStackTestResource.stack().issuer();
        List<String> invalid = List.of(
                issuer.expiredToken("late", ADMIN),
                issuer.tokenForAudience("api://another-app", "elsewhere", ADMIN),
                LocalIssuer.generate().token("forger", ADMIN),
                "not-a-jwt");
        for (String token : invalid) {
            given().auth().oauth2(token).get("/jobs").then().statusCode(401)
                    .header("WWW-Authenticate", equalTo("Bearer error=\"invalid_token\""))
                    .contentType("application/problem+json")
                    .body("detail", containsString("not valid"));
        }
    }

    @Test
    void metricsHealthAndOpenApiAreOnTheManagementPortOnly() {
        String admin = token(ADMIN);
        for (String path : List.of("/q/metrics", "/q/health", "/q/health/ready", "/q/openapi")) {
            given().auth().oauth2(admin).get(path).then().statusCode(404);
        }
        String base = management.getProtocol() + "://" + management.getAuthority();
        assertThat(base).doesNotEndWith(":" + io.restassured.RestAssured.port);
        given().get(base + "/q/metrics").then().statusCode(200)
                .body(containsString("http_server_requests_seconds_count"));
        given().get(base + "/q/health/live").then().statusCode(200);
        given().get(base + "/q/health/ready").then().statusCode(200);
        given().get(base + "/q/openapi?format=json").then().statusCode(200)
                .body("paths.keySet()", org.hamcrest.Matchers.hasItem("/jobs/{id}/status"));
        // the API itself is not served on the management port
        given().auth().oauth2(admin).get(base + "/jobs").then().statusCode(404);
    }

    @Test
    void theTableCoversEveryEndpointOfTheApi() {
        String base = management.getProtocol() + "://" + management.getAuthority();
        Map<String, Map<String, Object>> paths = given().get(base + "/q/openapi?format=json").then().statusCode(200)
                .extract().path("paths");
        Set<String> documented = new java.util.TreeSet<>();
        paths.forEach((path, operations) -> operations.keySet().forEach(
                method -> documented.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path)));
        Set<String> tested = new java.util.TreeSet<>();
        endpoints().forEach(e -> tested.add(e.method() + " " + e.path().replace("{new}", "{id}")));
        assertThat(tested).isEqualTo(documented);
    }
}
