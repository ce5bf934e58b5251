package dev.provisioning.writer.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.Json;
import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * The writer's API is internal: only the service identity ({@code Provisioning.Service}) may call it. Every endpoint
 * without a token (401), with each person's role and with no role (403), with the service role (its normal answer),
 * with problem details; metrics, health and OpenAPI on the management port only.
 */
@QuarkusTest
class WriterApiSecurityTest {

    static DruvaScimServer druva;
    static String jobId;

    @TestHTTPResource(value = "/", management = true)
    URL management;

    /** One endpoint, with the answer the service identity gets. */
    record Endpoint(String method, String path, Supplier<Object> body, int expected) {

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    static List<Endpoint> endpoints() {
        return List.of(
                new Endpoint("POST", "/jobs/{jobId}/connection-test", () -> Map.of("expectedRevision", 1), 200),
                new Endpoint("POST", "/connection-tests",
                        () -> Map.of("tenantUrl", druva.baseUrl(), "secretToken", Fixtures.TOKEN), 200),
                new Endpoint("POST", "/jobs/{jobId}/operations", () -> Json.write(Map.of("expectedRevision", 1,
                        "operation", Fixtures.upsert(jobId, Fixtures.unique("obj"), Fixtures.user(
                                Fixtures.unique("sec"), "Sec", "Urity")))),
                        200),
                new Endpoint("GET", "/jobs/{jobId}/escrows", null, 200),
                new Endpoint("DELETE", "/jobs/{jobId}/escrows", null, 200));
    }

    @BeforeAll
    static void aJob() {
        druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN));
        jobId = Fixtures.unique("job");
        KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
    }

    @AfterAll
    static void stopTarget() {
        druva.close();
    }

    private static Response call(Endpoint endpoint, String token) {
        RequestSpecification request = given();
        if (token != null) {
            request.auth().oauth2(token);
        }
        if (endpoint.body() != null) {
            request.contentType(ContentType.JSON).body(endpoint.body().get());
        }
        return request.request(endpoint.method(), endpoint.path().replace("{jobId}", jobId));
    }

    private static String token(String... roles) {
        return LocalStackTestResource.stack().issuer().token("test-" + String.join("-", roles), roles);
    }

    @ParameterizedTest(name = "{0} without a token: 401")
    @MethodSource("endpoints")
    void withoutATokenEveryEndpointAnswers401(Endpoint endpoint) {
        call(endpoint, null).then().statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer"))
                .contentType("application/problem+json")
                .body("status", equalTo(401));
    }

    @ParameterizedTest(name = "{0} with a person's role or none: 403")
    @MethodSource("endpoints")
    void noPersonsRoleIsEnough(Endpoint endpoint) {
        for (String token : List.of(token(LocalIssuer.ADMIN), token(LocalIssuer.OPERATOR), token(LocalIssuer.READER),
                token())) {
            call(endpoint, token).then().statusCode(403)
                    .contentType("application/problem+json")
                    .body("detail", containsString(LocalIssuer.SERVICE));
        }
    }

    @ParameterizedTest(name = "{0} with the service role: its answer")
    @MethodSource("endpoints")
    void theServiceIdentityGetsTheEndpointsAnswer(Endpoint endpoint) {
        Response answer = call(endpoint, token(LocalIssuer.SERVICE));
        assertThat(answer.statusCode()).as(endpoint + ": " + answer.asString()).isEqualTo(endpoint.expected());
    }

    @Test
    void aServiceTokenThatIsExpiredOrForgedIs401() {
        LocalIssuer issuer = LocalStackTestResource.stack().issuer();
        for (String token : List.of(issuer.expiredToken("change-detector", LocalIssuer.SERVICE),
                LocalIssuer.generate().token("change-detector", LocalIssuer.SERVICE),
                issuer.tokenForAudience("api://another-app", "change-detector", LocalIssuer.SERVICE))) {
            given().auth().oauth2(token).get("/jobs/" + jobId + "/escrows").then().statusCode(401)
                    .header("WWW-Authenticate", equalTo("Bearer error=\"invalid_token\""));
        }
    }

    @Test
    void metricsHealthAndOpenApiAreOnTheManagementPortOnly() {
        String service = token(LocalIssuer.SERVICE);
        for (String path : List.of("/q/metrics", "/q/health", "/q/openapi")) {
            given().auth().oauth2(service).get(path).then().statusCode(404);
        }
        String base = management.getProtocol() + "://" + management.getAuthority();
        given().get(base + "/q/metrics").then().statusCode(200).body(containsString("jvm_"));
        given().get(base + "/q/health/ready").then().statusCode(200);
    }

    @Test
    void theTableCoversEveryEndpointOfTheApi() {
        String base = management.getProtocol() + "://" + management.getAuthority();
        Map<String, Map<String, Object>> paths = given().get(base + "/q/openapi?format=json").then().statusCode(200)
                .extract().path("paths");
        Set<String> documented = new TreeSet<>();
        paths.forEach((path, operations) -> operations.keySet().forEach(
                method -> documented.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path)));
        Set<String> tested = new TreeSet<>();
        endpoints().forEach(e -> tested.add(e.toString()));
        assertThat(tested).isEqualTo(documented);
    }
}
