package dev.provisioning.druva;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.ScimClient.Answer;

class RequestLogAndAdminTest {

    private DruvaScimServer server;
    private ScimClient scim;
    private ScimClient admin;

    @BeforeEach
    void start() {
        server = DruvaScimServer.start(DruvaScimServer.Options.defaults().token("secret"));
        scim = new ScimClient(server.baseUrl(), "secret");
        admin = new ScimClient("http://127.0.0.1:" + server.port() + "/_admin", null);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void everyScimRequestIsLoggedInArrivalOrderWithItsStatus() {
        new ScimClient(server.baseUrl(), null).get("/Users");
        scim.filterUsers("userName eq \"ada@example.com\"");
        String body = ScimClient.entraUser("ada@example.com", "ada@example.com");
        scim.post("/Users", body);
        scim.post("/Users", body);

        List<RecordedRequest> log = server.requests();

        assertThat(log).extracting(RecordedRequest::method).containsExactly("GET", "GET", "POST", "POST");
        assertThat(log).extracting(RecordedRequest::status).containsExactly(401, 200, 201, 409);
        assertThat(log.get(1).path()).isEqualTo("/insync/scim/Users");
        assertThat(log.get(1).query()).isEqualTo("filter=userName eq \"ada@example.com\"");
        assertThat(log.get(2).body()).isEqualTo(body);
        assertThat(log.get(0).timestamp()).isBeforeOrEqualTo(log.get(3).timestamp());
    }

    @Test
    void adminEndpointsExposeStateWithoutAuth() {
        String ada = scim.createUserId("ada@example.com");
        scim.post("/Groups", "{\"displayName\":\"Engineering\",\"members\":[{\"value\":\"" + ada + "\"}]}");

        JsonNode users = admin.get("/users").body();
        JsonNode groups = admin.get("/groups").body();
        JsonNode requests = admin.get("/requests").body();

        assertThat(users).hasSize(1);
        assertThat(users.get(0).get("id").asText()).isEqualTo(ada);
        assertThat(users.get(0).get("status").asText()).isEqualTo("Active");
        assertThat(users.get(0).get("email").asText()).isEqualTo("ada@example.com");
        assertThat(groups.get(0).get("memberIds").get(0).asText()).isEqualTo(ada);
        assertThat(requests).hasSize(2);
        assertThat(requests.get(1).get("status").asInt()).isEqualTo(201);
        assertThat(requests.get(1).get("timestamp").asText()).isNotBlank();

        Answer reset = admin.post("/reset", "");
        assertThat(reset.status()).isEqualTo(204);
        assertThat(server.users()).isEmpty();
        assertThat(server.groups()).isEmpty();
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void adminSettingsChangeTheServerAtRuntime() {
        Answer put = admin.send("PUT", "/settings", "{\"rateLimitPerSecond\":1,\"latencyMs\":5,\"token\":\"t2\"}");

        assertThat(put.status()).isEqualTo(200);
        assertThat(put.body().get("rateLimitPerSecond").asDouble()).isEqualTo(1.0);
        assertThat(put.body().get("latencyMinMs").asLong()).isEqualTo(5);
        assertThat(server.settings().token()).isEqualTo("t2");
        assertThat(scim.get("/Users").status()).isEqualTo(401);

        Answer expire = admin.send("PUT", "/settings", "{\"token\":\"secret\",\"rateLimitPerSecond\":0,"
                + "\"tokenExpiresAt\":\"2000-01-01T00:00:00Z\"}");
        assertThat(expire.status()).isEqualTo(200);
        assertThat(scim.get("/Users").status()).isEqualTo(401);

        assertThat(admin.send("PUT", "/settings", "{\"serverErrorRatio\":2}").status()).isEqualTo(400);
        assertThat(admin.send("PUT", "/settings", "{\"bogus\":1}").status()).isEqualTo(400);
    }

    @Test
    void concurrentCreatesAreAllAppliedAndDuplicatesRejected() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<Answer>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String userName = "user" + (i % 100) + "@example.com";
                answers.add(pool.submit(() -> scim.createUser(userName, userName)));
            }
            int created = 0;
            int conflicts = 0;
            for (Future<Answer> answer : answers) {
                int status = answer.get().status();
                created += status == 201 ? 1 : 0;
                conflicts += status == 409 ? 1 : 0;
            }
            assertThat(created).isEqualTo(100);
            assertThat(conflicts).isEqualTo(100);
            assertThat(server.users()).hasSize(100);
            assertThat(server.requests()).hasSize(200);
        } finally {
            pool.shutdownNow();
        }
    }
}
