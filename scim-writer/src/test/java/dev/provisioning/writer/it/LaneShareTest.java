package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.tracing.TracingOn;

/**
 * Two held tenants do not take the whole admission limit (issue 12 item 3, "a slow or throttled target never delays
 * another tenant's operations in the writer"): with {@code writer.lanes.max-records=200} and
 * {@code records-per-tenant=150}, the first held tenant's 150 operations and the second's fill the lanes to the
 * high-water mark (160) and the second's share, the rest of the second's are deferred to PostgreSQL, and a third
 * tenant's operations, behind all of them on the one partition, are all carried out while the two are still held.
 * Before, the two filled the 200 rooms and the third waited for the {@code writer.lanes.max-wait} sweep (5 min).
 */
@QuarkusTest
@TestProfile(LaneShareTest.SmallLanes.class)
class LaneShareTest {

    /**
     * Small lanes; 8 objects at once, so the share's floor ({@code writer.concurrency.objects}) stays small; a held
     * request never times out here (read timeout 5 min), so nothing of the held tenants is escrowed and frees rooms:
     * without the share, the third tenant waited for the 5-min sweep, beyond {@link Waits#OUTCOME}. Tracing is on as
     * well ({@link TracingOn}), so that {@link TracingTest} runs in the same application instead of restarting it for
     * one test: spans change nothing the lanes do.
     */
    public static class SmallLanes implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(new TracingOn().getConfigOverrides());
            config.putAll(Map.of("writer.lanes.max-records", "200", "writer.lanes.records-per-tenant", "150",
                    "writer.concurrency.objects", "8", "writer.http.read-timeout", "5m"));
            return config;
        }
    }

    @Test
    void twoHeldTenantsLeaveRoomForAThirdTenantsOperations() {
        try (DruvaScimServer heldA = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN));
                DruvaScimServer heldB = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN));
                DruvaScimServer healthy = DruvaScimServer
                        .start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            heldA.hold();
            heldB.hold();
            List<ScimOperation> a = operations(heldA, "a", 150);
            List<ScimOperation> b = operations(heldB, "b", 150);
            List<ScimOperation> c = operations(healthy, "c", 20);
            KafkaTopics.publishOperations(a);
            KafkaTopics.publishOperations(b);
            KafkaTopics.publishOperations(c);

            // the third tenant is done while the two are held (nothing of theirs was answered yet)
            var cDone = KafkaTopics.awaitAllResults(c.stream().map(Fixtures::resultId).toList(), Waits.OUTCOME);
            assertThat(cDone.values()).allSatisfy(r -> assertThat(r.status()).isEqualTo(ProvisioningStatus.Success));
            assertThat(healthy.users()).hasSize(20);
            assertThat(heldA.users()).isEmpty();
            assertThat(heldB.users()).isEmpty();
            assertThat(KafkaTopics.readAll(Topics.RESULTS).stream().map(r -> EventChecks.result(r.value()))
                    .filter(r -> r.jobId().equals(a.get(0).jobId()) || r.jobId().equals(b.get(0).jobId())))
                    .as("results of the held tenants while held").isEmpty();

            heldA.release();
            heldB.release();
            for (List<ScimOperation> ops : List.of(a, b)) {
                assertThat(KafkaTopics.awaitAllResults(ops.stream().map(Fixtures::resultId).toList(), Waits.BURST)
                        .values()).allSatisfy(r -> assertThat(r.status()).isEqualTo(ProvisioningStatus.Success));
            }
            assertThat(heldA.users()).hasSize(150);
            assertThat(heldB.users()).hasSize(150);
            assertThat(healthy.users()).hasSize(20);
        }
    }

    /** A job on the server and {@code count} upserts of new users of it. */
    private static List<ScimOperation> operations(DruvaScimServer druva, String name, int count) {
        String jobId = unique("job-" + name);
        KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
        return IntStream.range(0, count)
                .mapToObj(i -> Fixtures.upsert(jobId, name + i, Fixtures.user(jobId + "-" + i, "Lane", name + i)))
                .toList();
    }
}
