package dev.provisioning.writer.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.localstack.LocalStackTestResource;

/** The synchronous API the change-detector calls: Test Connection and Provision on demand. */
@QuarkusTest
class WriterApiTest {

    static SecretCipher cipher() {
        return SecretCipher.fromBase64(LocalStackTestResource.stack().secretKey());
    }

    @Test
    void testConnectionSendsEntrasRandomUserNameFilterAndSucceedsOnAnEmptyList() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            var body = Map.of("tenantUrl", druva.baseUrl(), "secretToken", cipher().encrypt(Fixtures.TOKEN));

            RestAssured.given().contentType(ContentType.JSON).body(Json.write(body)).post("/connection-tests")
                    .then().statusCode(200)
                    .body("success", org.hamcrest.Matchers.equalTo(true))
                    .body("httpStatus", org.hamcrest.Matchers.equalTo(200));

            RecordedRequest sent = druva.requests().get(0);
            assertThat(sent.method()).isEqualTo("GET");
            assertThat(sent.query()).matches("filter=userName eq \"[0-9a-f-]{36}\"");
        }
    }

    @Test
    void testConnectionExplainsARejectedTokenAndAnUnreachableHost() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            var wrongToken = Map.of("tenantUrl", druva.baseUrl(), "secretToken", cipher().encrypt("not-the-token"));
            RestAssured.given().contentType(ContentType.JSON).body(Json.write(wrongToken)).post("/connection-tests")
                    .then().statusCode(200)
                    .body("success", org.hamcrest.Matchers.equalTo(false))
                    .body("errorCode", org.hamcrest.Matchers.equalTo("InvalidCredentials"))
                    .body("message", org.hamcrest.Matchers.containsString("401"));
        }
        var unreachable = Map.of("tenantUrl", "http://127.0.0.1:1/insync/scim", "secretToken",
                cipher().encrypt(Fixtures.TOKEN));
        RestAssured.given().contentType(ContentType.JSON).body(Json.write(unreachable)).post("/connection-tests")
                .then().statusCode(200)
                .body("success", org.hamcrest.Matchers.equalTo(false))
                .body("errorCode", org.hamcrest.Matchers.equalTo("TargetUnavailable"))
                .body("message", org.hamcrest.Matchers.containsString("could not reach"));
    }

    @Test
    void executeCarriesOutOneOperationNowAndAnswersItsResult() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String jobId = Fixtures.unique("job");
            ScimOperation op = Fixtures.upsert(jobId, "obj-ondemand", Fixtures.user("nia", "Nia", "Now"));
            var body = Map.of("job", Fixtures.job(jobId, druva.baseUrl()), "operation", op);

            String json = RestAssured.given().contentType(ContentType.JSON).body(Json.write(body))
                    .post("/operations/execute").then().statusCode(200).extract().asString();

            ProvisioningResult result = Json.read(json, ProvisioningResult.class);
            assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
            assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
            assertThat(druva.users()).singleElement().satisfies(u -> assertThat(u.userName()).contains("nia"));
            assertThat(KafkaTopics.awaitResult(result.resultId()).status()).isEqualTo(ProvisioningStatus.Success);
        }
    }

    @Test
    void aJobsEscrowsCanBeCountedAndDiscardedByARestart() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            druva.settings(s -> s.serverErrorRatio(1.0));
            String jobId = Fixtures.unique("job");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            KafkaTopics.publishOperation(Fixtures.upsert(jobId, "obj-stuck", Fixtures.user("stu", "Stu", "Ck")));

            org.awaitility.Awaitility.await().atMost(dev.provisioning.writer.Waits.OUTCOME)
                    .untilAsserted(() -> RestAssured
                            .get("/jobs/" + jobId + "/escrows").then().statusCode(200)
                            .body("escrowed", org.hamcrest.Matchers.equalTo(1)));

            RestAssured.delete("/jobs/" + jobId + "/escrows").then().statusCode(200)
                    .body("discarded", org.hamcrest.Matchers.equalTo(1));
            RestAssured.get("/jobs/" + jobId + "/escrows").then().body("escrowed", org.hamcrest.Matchers.equalTo(0));
        }
    }
}
