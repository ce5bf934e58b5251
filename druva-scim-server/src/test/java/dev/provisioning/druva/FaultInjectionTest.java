package dev.provisioning.druva;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.provisioning.druva.ScimClient.Answer;

class FaultInjectionTest {

    private DruvaScimServer server;

    @AfterEach
    void stop() {
        server.close();
    }

    private ScimClient start(DruvaScimServer.Options options) {
        server = DruvaScimServer.start(options.token("secret"));
        return new ScimClient(server.baseUrl(), "secret");
    }

    @Test
    void requestsBeyondTheRateLimitAre429WithRetryAfterAndChangeNothing() {
        ScimClient scim = start(DruvaScimServer.Options.defaults().rateLimitPerSecond(2));

        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(scim.createUser("user" + i + "@example.com", "user" + i + "@example.com"));
        }

        List<Answer> limited = answers.stream().filter(a -> a.status() == 429).toList();
        assertThat(limited).isNotEmpty();
        assertThat(limited).allSatisfy(answer -> {
            assertThat(answer.header("Retry-After")).isEqualTo("1");
            assertThat(answer.body().get("schemas").get(0).asText())
                    .isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
            assertThat(answer.body().get("status").asText()).isEqualTo("429");
        });
        long created = answers.stream().filter(a -> a.status() == 201).count();
        assertThat(server.users()).hasSize((int) created);
        assertThat(server.requests()).hasSize(5)
                .filteredOn(r -> r.status() == 429).hasSize(limited.size());
    }

    @Test
    void rateLimitCanBeLiftedAtRuntime() {
        ScimClient scim = start(DruvaScimServer.Options.defaults().rateLimitPerSecond(1));
        scim.get("/Users");
        assertThat(scim.get("/Users").status()).isEqualTo(429);

        server.settings(s -> s.rateLimitPerSecond(0));

        assertThat(scim.get("/Users").status()).isEqualTo(200);
    }

    @Test
    void serverErrorsAre5xxAndChangeNothing() {
        ScimClient scim = start(DruvaScimServer.Options.defaults().serverErrorRatio(1.0));

        for (int i = 0; i < 4; i++) {
            Answer answer = scim.createUser("ada@example.com", "ada@example.com");
            assertThat(answer.status()).isIn(500, 503);
            assertThat(answer.body().get("schemas").get(0).asText())
                    .isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
        }

        assertThat(server.users()).isEmpty();
    }

    @Test
    void timedOutRequestsHangThenAnswer504WithoutChange() {
        ScimClient scim = start(DruvaScimServer.Options.defaults().timeoutRatio(1.0)
                .timeoutDelay(Duration.ofMillis(300)));

        long begin = System.nanoTime();
        Answer answer = scim.createUser("ada@example.com", "ada@example.com");

        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(answer.status()).isEqualTo(504);
        assertThat(server.users()).isEmpty();
    }

    @Test
    void latencyIsAddedToEveryRequest() {
        ScimClient scim = start(DruvaScimServer.Options.defaults().latency(Duration.ofMillis(150)));

        long begin = System.nanoTime();
        assertThat(scim.get("/Users").status()).isEqualTo(200);

        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
    }

    @Test
    void expiredTokenIs401() {
        ScimClient scim = start(DruvaScimServer.Options.defaults().tokenExpiresAt(Instant.now().minusSeconds(1)));

        Answer answer = scim.get("/Users");

        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.body().get("detail").asText()).contains("expired");
    }

    @Test
    void regeneratedTokenInvalidatesTheOldOne() {
        ScimClient scim = start(DruvaScimServer.Options.defaults());

        server.settings(s -> s.token("regenerated"));

        assertThat(scim.get("/Users").status()).isEqualTo(401);
        assertThat(new ScimClient(server.baseUrl(), "regenerated").get("/Users").status()).isEqualTo(200);
    }

    @Test
    void failNextAnswersTheQueuedStatusesOnceEachInOrderWithoutChangingAnything() {
        ScimClient scim = start(DruvaScimServer.Options.defaults());
        server.failNext(503, -1);
        server.failNext(429, 2);

        Answer first = scim.createUser("a@example.com", "a@example.com");
        Answer second = scim.createUser("a@example.com", "a@example.com");
        Answer third = scim.createUser("a@example.com", "a@example.com");

        assertThat(first.status()).isEqualTo(503);
        assertThat(first.header("Retry-After")).isNull();
        assertThat(second.status()).isEqualTo(429);
        assertThat(second.header("Retry-After")).isEqualTo("2");
        assertThat(third.status()).isEqualTo(201);
        assertThat(server.users()).hasSize(1);
        assertThat(server.requests()).extracting(RecordedRequest::status).containsExactly(503, 429, 201);
    }

    @Test
    void throttleBurstsAnswer429DuringTheBurstOnly() {
        ScimClient scim = start(DruvaScimServer.Options.defaults()
                .throttleBursts(Duration.ofHours(1), Duration.ofMinutes(59)));
        Answer inBurst = scim.get("/Users");
        assertThat(inBurst.status()).isEqualTo(429);
        assertThat(inBurst.header("Retry-After")).isEqualTo("1");

        server.settings(s -> s.throttleBursts(Duration.ZERO, Duration.ZERO));

        assertThat(scim.get("/Users").status()).isEqualTo(200);
    }
}
