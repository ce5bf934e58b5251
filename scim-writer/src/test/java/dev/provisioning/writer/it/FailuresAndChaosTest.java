package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.writer.Waits;

/**
 * Failures against the Druva-compatible server: escrow of an object that keeps failing (test schedule: 1 s), and a
 * run under 30 % injected 5xx plus bursts of 429 that must end in exactly the right state.
 */
@QuarkusTest
class FailuresAndChaosTest {

    /** Metrics are served on the management interface. */
    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    private DruvaScimServer druva;
    private String jobId;

    @BeforeEach
    void start() {
        druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN));
        jobId = unique("job");
        KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
    }

    @AfterEach
    void stop() {
        druva.close();
    }

    @Test
    void anEscrowedObjectHasAFailureWithItsRetryTimeAtOnceIsCountedAndALaterSuccessFromTheScheduledRetry() {
        druva.settings(s -> s.serverErrorRatio(1.0));
        ScimOperation op = Fixtures.upsert(jobId, "obj-esc", Fixtures.user("esc", "Es", "Crow"));

        KafkaTopics.publishOperation(op);

        // the Failure comes while Druva still fails: nothing holds the cycle until the retry
        ProvisioningResult escrowed = KafkaTopics.awaitResult(resultId(op));
        assertThat(escrowed.status()).isEqualTo(ProvisioningStatus.Failure);
        assertThat(escrowed.errorCode()).isEqualTo("TargetUnavailable");
        assertThat(escrowed.retryAt()).isNotNull().isAfter(escrowed.occurredAt().minusSeconds(1));
        assertThat(escrowed.reason()).contains("escrowed: the scim-writer retries it at " + escrowed.retryAt());
        assertThat(escrowed.retryOf()).isNull();
        await().atMost(Waits.OUTCOME).until(() -> RestAssured.get(metrics).asString()
                .contains("scim_writer_escrowed{job=\"" + jobId + "\"} 1.0"));
        assertThat(druva.users()).isEmpty();
        assertThat(Sent.of(druva)).isNotEmpty().allSatisfy(r -> assertThat(r.status()).isIn(500, 503));

        druva.settings(s -> s.serverErrorRatio(0));
        ProvisioningResult retried = KafkaTopics.awaitResult(ProvisioningResult.followUpIdOf(escrowed.resultId()));

        assertThat(retried.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(retried.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(retried.retryOf()).isEqualTo(escrowed.resultId());
        assertThat(retried.cycleId()).isEqualTo(op.cycleId());
        assertThat(retried.retryAt()).isNull();
        assertThat(druva.users()).singleElement().extracting(DruvaUser::userName).isEqualTo("esc@example.com");
        await().atMost(Waits.OUTCOME).until(() -> RestAssured.get(metrics).asString()
                .contains("scim_writer_escrowed{job=\"" + jobId + "\"} 0.0"));
        // one result each, however often the record or the retry is redelivered
        assertThat(KafkaTopics.awaitResults(resultId(op), 1)).hasSize(1);
    }

    @Test
    void aLaterOperationSupersedesAnEscrowedOne() {
        druva.settings(s -> s.serverErrorRatio(1.0));
        ScimOperation create = Fixtures.upsert(jobId, "obj-sup", Fixtures.user("sup", "Su", "Old"));
        KafkaTopics.publishOperation(create);
        ProvisioningResult escrowed = KafkaTopics.awaitResult(resultId(create));
        assertThat(escrowed.retryAt()).isNotNull();

        druva.settings(s -> s.serverErrorRatio(0));
        ScimOperation update = Fixtures.upsert(jobId, "cycle-2", "obj-sup", Fixtures.user("sup", "Su", "New"));
        KafkaTopics.publishOperation(update);

        ProvisioningResult superseded = KafkaTopics
                .awaitResult(ProvisioningResult.followUpIdOf(escrowed.resultId()));
        // the tenant counted as down after the outage: the update may first be escrowed for a probe interval
        ProvisioningResult applied = KafkaTopics.awaitFinalResults(List.of(resultId(update)), Waits.OUTCOME)
                .get(resultId(update));
        assertThat(superseded.status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(superseded.reason()).startsWith("superseded by a later change");
        assertThat(superseded.retryOf()).isEqualTo(escrowed.resultId());
        assertThat(applied.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(druva.users()).singleElement().extracting(DruvaUser::familyName).isEqualTo("New");
    }

    @Test
    void thirtyPercentServerErrorsAndBurstsOf429EndInExactlyTheRightState() {
        druva.settings(s -> s.serverErrorRatio(0.3).latency(Duration.ofMillis(5))
                .throttleBursts(Duration.ofSeconds(2), Duration.ofMillis(300)));
        int users = 300;
        List<ScimOperation> creates = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            creates.add(Fixtures.upsert(jobId, "c" + i, Fixtures.user("chaos" + i, "Chaos", "Old" + i)));
        }
        List<ScimOperation> updates = new ArrayList<>();
        for (int i = 0; i < users; i += 3) {
            updates.add(Fixtures.upsert(jobId, "cycle-2", "c" + i, Fixtures.user("chaos" + i, "Chaos", "New" + i)));
        }
        creates.forEach(KafkaTopics::publishOperation);
        updates.forEach(KafkaTopics::publishOperation);

        List<String> expected = new ArrayList<>();
        creates.forEach(op -> expected.add(resultId(op)));
        updates.forEach(op -> expected.add(resultId(op)));
        Map<String, ProvisioningResult> results = KafkaTopics.awaitFinalResults(expected, Waits.BURST);

        // an object whose requests kept failing for the retry budget is escrowed (a Failure with its retry time) and
        // ends in a follow-up: created by the scheduled retry, or superseded by its update (which then creates it)
        assertThat(results.values()).allSatisfy(r -> assertThat(r.status()).isIn(ProvisioningStatus.Success,
                ProvisioningStatus.Skipped));
        updates.forEach(op -> assertThat(results.get(resultId(op)).status()).isEqualTo(ProvisioningStatus.Success));
        List<DruvaUser> inDruva = druva.users();
        assertThat(inDruva).hasSize(users);
        assertThat(inDruva).extracting(DruvaUser::userName).doesNotHaveDuplicates();
        Map<String, DruvaUser> byUserName = inDruva.stream()
                .collect(Collectors.toMap(DruvaUser::userName, Function.identity()));
        for (int i = 0; i < users; i++) {
            String family = i % 3 == 0 ? "New" + i : "Old" + i;
            assertThat(byUserName.get("chaos" + i + "@example.com").familyName()).isEqualTo(family);
        }
        // no user created twice, none updated twice for its one change
        List<Sent> sent = Sent.of(druva);
        assertThat(sent).filteredOn(r -> r.method().equals("POST") && r.status() == 201).hasSize(users);
        Map<String, Long> patchesPerUser = sent.stream()
                .filter(r -> r.method().equals("PATCH") && r.status() == 200)
                .collect(Collectors.groupingBy(Sent::path, Collectors.counting()));
        assertThat(patchesPerUser.values()).containsOnly(1L);
        assertThat(sent).anySatisfy(r -> assertThat(r.status()).isEqualTo(429));
        assertThat(RestAssured.get(metrics).asString()).contains("scim_writer_throttled_total{job=\"" + jobId);
    }
}
