package dev.provisioning.writer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.writer.Waits;

/**
 * The internal API the change-detector calls: Test Connection of a saved job (its stored URL and token, by id and
 * revision) and of an unsaved configuration (a clear token), Provision on demand, and a job's escrow. The writer never
 * decrypts a secret handed in by a caller.
 */
@QuarkusTest
class WriterApiTest {

    static SecretCipher cipher() {
        return SecretCipher.fromBase64(LocalStackTestResource.stack().secretKey());
    }

    static RequestSpecification asService() {
        return RestAssured.given().auth().oauth2(Fixtures.serviceToken()).contentType(ContentType.JSON);
    }

    /** A job whose token is {@code token}, at {@code revision}. */
    static JobConfig job(String jobId, String tenantUrl, String token, long revision) {
        return new JobConfig(JobConfig.SCHEMA_VERSION, jobId, "test job " + jobId, JobState.ACTIVE, tenantUrl,
                cipher().encrypt(token), null, false, null, true, PatchDialect.ENTRA, TargetObjectActions.ALL, false,
                null, null, null, null, revision, Instant.now());
    }

    @Test
    void aSavedJobsConnectionIsTestedWithItsOwnStoredUrlAndToken() {
        String token = "saved-" + Fixtures.unique("token");
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(token))) {
            String jobId = Fixtures.unique("job");
            KafkaTopics.publishJob(job(jobId, druva.baseUrl(), token, 1));

            asService().body(Map.of("expectedRevision", 1)).post("/jobs/" + jobId + "/connection-test")
                    .then().statusCode(200)
                    .body("success", equalTo(true))
                    .body("httpStatus", equalTo(200));

            // Druva accepted the request: it carried the job's own token, decrypted by the writer
            RecordedRequest sent = druva.requests().get(0);
            assertThat(sent.method()).isEqualTo("GET");
            assertThat(sent.query()).matches("filter=userName eq \"[0-9a-f-]{36}\"");
            assertThat(sent.status()).isEqualTo(200);
        }
    }

    @Test
    void aJustSavedRevisionIsAwaitedSoTheTestUsesTheNewUrlAndToken() throws Exception {
        String token = "rotated-" + Fixtures.unique("token");
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(token))) {
            String jobId = Fixtures.unique("job");
            KafkaTopics.publishJob(job(jobId, "http://127.0.0.1:1/insync/scim", "old-token", 1));
            // the writer has revision 1, and tests its stored (unreachable) URL
            asService().body(Map.of("expectedRevision", 1)).post("/jobs/" + jobId + "/connection-test").then()
                    .statusCode(200).body("errorCode", equalTo("TargetUnavailable"));

            CompletableFuture<Response> answer = CompletableFuture.supplyAsync(() -> asService()
                    .body(Map.of("expectedRevision", 2)).post("/jobs/" + jobId + "/connection-test"));
            KafkaTopics.publishJob(job(jobId, druva.baseUrl(), token, 2));

            Response response = answer.get(Waits.OUTCOME.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.jsonPath().getBoolean("success")).as(response.asString()).isTrue();
        }
    }

    @Test
    void aSavedJobsTestTakesNoUrlOrSecretFromTheCaller() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token("x"))) {
            String jobId = Fixtures.unique("job");
            KafkaTopics.publishJob(job(jobId, "http://127.0.0.1:1/insync/scim", "stored", 1));

            asService().body(Map.of("expectedRevision", 1, "tenantUrl", druva.baseUrl()))
                    .post("/jobs/" + jobId + "/connection-test").then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("errors[0].field", equalTo("tenantUrl"))
                    .body("errors[0].message", containsString("is not a known field"));
            assertThat(druva.requests()).isEmpty();
        }
    }

    @Test
    void anUnsavedConfigurationIsTestedWithTheClearTokenItCarries() {
        String token = "typed-" + Fixtures.unique("token");
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(token))) {
            asService().body(Map.of("tenantUrl", druva.baseUrl(), "secretToken", token)).post("/connection-tests")
                    .then().statusCode(200)
                    .body("success", equalTo(true));
            asService().body(Map.of("tenantUrl", druva.baseUrl(), "secretToken", "not-the-token"))
                    .post("/connection-tests").then().statusCode(200)
                    .body("success", equalTo(false))
                    .body("errorCode", equalTo("InvalidCredentials"))
                    .body("message", containsString("401"));
        }
        asService().body(Map.of("tenantUrl", "http://127.0.0.1:1/insync/scim", "secretToken", "t"))
                .post("/connection-tests").then().statusCode(200)
                .body("success", equalTo(false))
                .body("errorCode", equalTo("TargetUnavailable"))
                .body("message", containsString("could not reach"))
                .body("message", containsString("connection refused"));
        // plain http outside loopback carries no token anywhere: refused before anything is sent
        asService().body(Map.of("tenantUrl", "http://druva.example.test/insync/scim", "secretToken", "t"))
                .post("/connection-tests").then().statusCode(200)
                .body("success", equalTo(false))
                .body("message", containsString("must use https"));
    }

    @Test
    void aCiphertextHandedInByACallerIsNeverDecrypted() {
        String token = "stolen-" + Fixtures.unique("token");
        EncryptedSecret copied = cipher().encrypt(token); // as read from provisioning.jobs
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(token))) {
            // the encrypted secret as an object: refused, nothing is sent anywhere
            asService().body(Json.write(Map.of("tenantUrl", druva.baseUrl(), "secretToken", copied)))
                    .post("/connection-tests").then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("errors[0].field", equalTo("secretToken"))
                    .body("errors[0].message", equalTo("must be a string"))
                    .body(org.hamcrest.Matchers.not(containsString(copied.ciphertext())));
            assertThat(druva.requests()).isEmpty();

            // the ciphertext as a string is just a (wrong) token: Druva sees it as it is, and refuses it
            asService().body(Map.of("tenantUrl", druva.baseUrl(), "secretToken", copied.ciphertext()))
                    .post("/connection-tests").then().statusCode(200)
                    .body("success", equalTo(false))
                    .body("errorCode", equalTo("InvalidCredentials"));
            assertThat(druva.requests()).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(401));
        }
    }

    @Test
    void executeCarriesOutOneOperationOfASavedJobNowAndAnswersItsResult() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String jobId = Fixtures.unique("job");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            ScimOperation op = Fixtures.upsert(jobId, "obj-ondemand", Fixtures.user("nia", "Nia", "Now"));

            String json = asService().body(Json.write(Map.of("expectedRevision", 1, "operation", op)))
                    .post("/jobs/" + jobId + "/operations").then().statusCode(200).extract().asString();

            ProvisioningResult result = Json.read(json, ProvisioningResult.class);
            assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
            assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
            assertThat(druva.users()).singleElement().satisfies(u -> assertThat(u.userName()).contains("nia"));
            assertThat(KafkaTopics.awaitResult(result.resultId()).status()).isEqualTo(ProvisioningStatus.Success);
        }
    }

    @Test
    void anOperationOfAnotherJobIsRefusedNamingItsJobId() {
        String jobId = Fixtures.unique("job");
        ScimOperation other = Fixtures.upsert(Fixtures.unique("other"), "obj-x", Fixtures.user("x", "X", "Y"));

        asService().body(Json.write(Map.of("expectedRevision", 1, "operation", other)))
                .post("/jobs/" + jobId + "/operations").then().statusCode(400)
                .contentType("application/problem+json")
                .body("errors[0].field", equalTo("operation.jobId"));
    }

    @Test
    void aJobsEscrowsCanBeCountedAndDiscardedByARestart() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            druva.settings(s -> s.serverErrorRatio(1.0));
            String jobId = Fixtures.unique("job");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            KafkaTopics.publishOperation(Fixtures.upsert(jobId, "obj-stuck", Fixtures.user("stu", "Stu", "Ck")));

            org.awaitility.Awaitility.await().atMost(Waits.OUTCOME).untilAsserted(() -> asService()
                    .get("/jobs/" + jobId + "/escrows").then().statusCode(200)
                    .body("escrowed", equalTo(1)));

            asService().delete("/jobs/" + jobId + "/escrows").then().statusCode(200)
                    .body("discarded", equalTo(1));
            asService().get("/jobs/" + jobId + "/escrows").then().body("escrowed", equalTo(0));
        }
    }
}
