package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.telemetry.SendLimit;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.messaging.ResultPublisher;

/**
 * The writer's results emitter under the burst its lanes can make: each tenant's lane carries out up to
 * {@code writer.concurrency.objects} (64) objects at once and nothing bounds the tenants (only the 10,000 records of
 * {@code writer.lanes.max-records}), so 18 busy tenants can ask for more sends than the {@code results} emitter takes
 * (its 128-message buffer plus the Kafka sink's 1,024 {@code max-inflight-messages}). Here {@value #TENANTS} tenants'
 * 64 objects each publish their results at once: the local broker acks fast, so a burst just over 1,152 is often
 * absorbed, while this one reliably outruns the acks. Every result must be on {@code provisioning.results} exactly once
 * and no send may fail: before the sends were bounded, the sends past the emitter's room failed at once with
 * {@code SRMSG00034 Insufficient downstream requests}, which nacked their records and stopped the operations channel.
 */
@QuarkusTest
class ResultBurstTest {

    private static final int TENANTS = 96;
    private static final int OBJECTS_AT_ONCE = 64;

    @Inject
    ResultPublisher publisher;

    @Test
    void resultsOfManyBusyTenantsAreAllPublishedOnce() {
        String run = unique("burst");
        List<ProvisioningResult> results = new ArrayList<>();
        for (int tenant = 0; tenant < TENANTS; tenant++) {
            String jobId = run + "-job-" + tenant;
            for (int object = 0; object < OBJECTS_AT_ONCE; object++) {
                results.add(success(jobId, "obj-" + object));
            }
        }

        // all sends asked for at once, as the lanes of busy tenants do; each completes when the broker acked it
        List<Uni<Void>> sends = results.stream().map(publisher::publish).toList();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger acked = new AtomicInteger();
        for (Uni<Void> send : sends) {
            send.subscribe().with(ignored -> acked.incrementAndGet(), failures::add);
        }
        await().atMost(Waits.BURST).until(() -> acked.get() + failures.size() == results.size());

        assertThat(failures).as("sends that failed (SRMSG00034 when the emitter overflows)")
                .extracting(Throwable::getMessage).isEmpty();
        Map<String, Long> onTopic = onResultsTopic(run);
        assertThat(onTopic).hasSize(results.size());
        assertThat(onTopic.keySet()).containsExactlyInAnyOrderElementsOf(
                results.stream().map(ProvisioningResult::resultId).toList());
        assertThat(onTopic.values()).as("copies of each result").containsOnly(1L);
        assertThat(publisher.takePeakInFlight()).as("results in flight at once").isBetween(1, SendLimit.DEFAULT_MAX);
    }

    /** How often each result of this run is on {@code provisioning.results}. */
    private static Map<String, Long> onResultsTopic(String run) {
        return KafkaTopics.readAll(Topics.RESULTS).stream().map(r -> EventChecks.result(r.value()))
                .filter(r -> r.jobId().startsWith(run + "-"))
                .collect(Collectors.groupingBy(ProvisioningResult::resultId, Collectors.counting()));
    }

    private static ProvisioningResult success(String jobId, String objectId) {
        String cycleId = "cycle-1";
        String operationId = "op-" + objectId;
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(jobId, objectId, cycleId, operationId), jobId, cycleId, operationId,
                ObjectType.USER, objectId, "druva-" + objectId, objectId, ProvisioningAction.Create,
                ProvisioningStatus.Success, null, null, 201, 1, 12, null, "scim-writer", Instant.now());
    }
}
