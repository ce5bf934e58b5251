package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.messaging.Channels;

/**
 * A tenant's deferred operations come back as its lane drains, not on the release timer (issue 13): 300 new users of
 * one job at once, into a lane that holds 20, with {@code writer.lanes.release-interval=1h}. The timer's only round
 * in the test is the first, 2 s after start, which released at most half of a lane's room (10) before; the lane then
 * ran its 20 and the rest waited an hour. Now every user reaches Druva once (one create each) and has a Success result
 * within {@link Waits#OUTCOME}, and most of them were deferred and released. The test's writer is the only replica,
 * so it holds every partition of {@code provisioning.operations}: the released operations go straight into the lane
 * ({@code scim.writer.deferred.released{path=lane}}), none is republished on the topic (the {@code escrow-retry}
 * header), which cost a produce, a consume and a parse per user before.
 */
@QuarkusTest
@TestProfile(LaneReleaseTest.SmallLaneSlowTimer.class)
class LaneReleaseTest {

    private static final int USERS = 300;
    private static final int LANE = 20;

    /** A lane of 20 running 8 objects at once; the release timer runs once in the test, at the start. */
    public static class SmallLaneSlowTimer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("writer.lanes.max-records", "200", "writer.lanes.records-per-tenant", String.valueOf(LANE),
                    "writer.concurrency.objects", "8", "writer.lanes.release-interval", "1h");
        }
    }

    @Inject
    MeterRegistry registry;

    private double releasedToLane() {
        Counter counter = registry.find(WriterMeters.DEFERRED_RELEASED)
                .tag(WriterMeters.RELEASE_PATH, WriterMeters.RELEASED_TO_LANE).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aTenantsDeferredOperationsAreReleasedAsItsLaneDrainsNotByTheTimer() {
        double releasedBefore = releasedToLane();
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String jobId = unique("job-release");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            List<ScimOperation> ops = IntStream.range(0, USERS)
                    .mapToObj(i -> Fixtures.upsert(jobId, "u" + i, Fixtures.user(jobId + "-" + i, "Lane", "u" + i)))
                    .toList();
            KafkaTopics.publishOperations(ops);

            var results = KafkaTopics.awaitAllResults(ops.stream().map(Fixtures::resultId).toList(), Waits.OUTCOME);
            assertThat(results.values()).allSatisfy(r -> assertThat(r.status()).isEqualTo(ProvisioningStatus.Success));
            assertThat(druva.users()).hasSize(USERS);
            assertThat(druva.requests()).filteredOn(r -> r.method().equals("POST") && r.path().endsWith("/Users"))
                    .as("one create per user").hasSize(USERS);
            assertThat(releasedToLane() - releasedBefore)
                    .as("operations deferred and released into the lane, far more than one timer round releases")
                    .isGreaterThan(USERS / 3.0);
            long republished = KafkaTopics.readAll(Topics.OPERATIONS).stream()
                    .filter(r -> r.key().startsWith(jobId + "/"))
                    .filter(r -> r.headers().lastHeader(Channels.ESCROW_RETRY_HEADER) != null)
                    .count();
            assertThat(republished).as("released operations republished on " + Topics.OPERATIONS).isZero();
        }
    }
}
