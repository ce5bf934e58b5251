package dev.provisioning.notifier.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;

/** How one poll of {@code provisioning.results} is sorted, without a broker: the consumer's one pass. */
class ResultsBatchTest {

    @Test
    void aPollIsSortedIntoFailuresToStoreRepeatsMalformedRecordsAndEachPartitionsLastOffset() {
        List<ConsumerRecord<String, String>> poll = new ArrayList<>();
        poll.add(record(0, 10, Json.write(result("job-a", "u1", ProvisioningStatus.Failure))));
        poll.add(record(0, 11, Json.write(result("job-a", "u2", ProvisioningStatus.Success))));
        poll.add(record(1, 40, Json.write(result("job-b", "u3", ProvisioningStatus.Failure))));
        poll.add(record(1, 41, "{not json"));
        poll.add(record(0, 12, Json.write(result("job-a", "u1", ProvisioningStatus.Failure))));
        poll.add(record(1, 42, Json.write(result("job-a", "u4", ProvisioningStatus.Skipped))));
        poll.add(record(0, 13, Json.write(result("job-a", "u5", ProvisioningStatus.Failure))));
        poll.add(record(1, 43, null));

        ResultsBatch batch = ResultsBatch.of(poll, r -> !r.jobId().equals("job-b"));

        assertThat(batch.toStore()).extracting(f -> f.result().objectId()).containsExactly("u1", "u5");
        assertThat(batch.repeated()).extracting(f -> f.record().offset()).containsExactly(12L);
        assertThat(batch.malformed()).extracting(m -> m.record().offset()).containsExactly(41L, 43L);
        assertThat(batch.malformed().get(0).reason()).startsWith("ProvisioningResult: ");
        assertThat(batch.malformed().get(1).reason()).isEqualTo("ProvisioningResult: empty record");
        assertThat(batch.highestOffsets()).isEqualTo(Map.of(new TopicPartition(Topics.RESULTS, 0), 13L,
                new TopicPartition(Topics.RESULTS, 1), 43L));
        // u2 (Success), u3 (job-b sends no failure emails), u4 (Skipped)
        assertThat(batch.skipped()).isEqualTo(3);
        assertThat(batch.failures()).extracting(f -> f.record().offset()).containsExactly(10L, 13L, 12L);
    }

    @Test
    void aRecordMissingARequiredFieldIsMalformedAndItsReasonNamesTheField() {
        String json = Json.write(result("job-a", "u1", ProvisioningStatus.Failure)).replace("\"jobId\":\"job-a\",", "");
        assertThat(json).doesNotContain("jobId");

        ResultsBatch batch = ResultsBatch.of(List.of(record(0, 0, json)), r -> true);

        assertThat(batch.toStore()).isEmpty();
        assertThat(batch.malformed()).singleElement()
                .satisfies(m -> assertThat(m.reason()).isEqualTo("ProvisioningResult: field 'jobId' is required"));
    }

    @Test
    void aFailureDruvaAnswered401IsLeftToTheQuarantinesEmail() {
        ProvisioningResult rejected = result("job-a", "u1", ProvisioningStatus.Failure);
        rejected = new ProvisioningResult(rejected.schemaVersion(), rejected.resultId(), rejected.jobId(),
                rejected.cycleId(), rejected.eventId(), rejected.objectType(), rejected.objectId(), null,
                rejected.displayName(), ProvisioningAction.Update, ProvisioningStatus.Failure, "InvalidCredentials",
                "HTTP 401: held, and sent again once the job's token changes", 401, 1, 12, List.of(), "scim-writer",
                rejected.occurredAt());
        List<ConsumerRecord<String, String>> poll = List.of(record(0, 0, Json.write(rejected)),
                record(0, 1, Json.write(result("job-a", "u2", ProvisioningStatus.Failure))));

        ResultsBatch batch = ResultsBatch.of(poll, r -> true);

        assertThat(batch.toStore()).extracting(f -> f.result().objectId()).containsExactly("u2");
        assertThat(batch.skipped()).isEqualTo(1);
    }

    @Test
    void anEmptyPollHasNothingToDo() {
        ResultsBatch batch = ResultsBatch.of(List.of(), r -> true);

        assertThat(batch.toStore()).isEmpty();
        assertThat(batch.repeated()).isEmpty();
        assertThat(batch.malformed()).isEmpty();
        assertThat(batch.highestOffsets()).isEmpty();
        assertThat(batch.skipped()).isZero();
    }

    private static ConsumerRecord<String, String> record(int partition, long offset, String value) {
        return new ConsumerRecord<>(Topics.RESULTS, partition, offset, "key-" + offset, value);
    }

    private static ProvisioningResult result(String job, String objectId, ProvisioningStatus status) {
        String eventId = "event-" + objectId;
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(job, objectId, "cycle-1", eventId), job, "cycle-1", eventId, ObjectType.USER,
                objectId, null, objectId, ProvisioningAction.Create, status, null, null, null, 1, 12, List.of(),
                "mapper-service", Instant.parse("2026-12-02T04:00:00Z"));
    }
}
