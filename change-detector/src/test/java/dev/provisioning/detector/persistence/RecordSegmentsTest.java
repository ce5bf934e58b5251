package dev.provisioning.detector.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;

/** How {@link ProvisioningLogRepository#recordAll} cuts a batch: no object of a job twice in one run. */
class RecordSegmentsTest {

    @Test
    void aBatchOfDistinctObjectsIsOneRun() {
        assertThat(ProvisioningLogRepository.segments(List.of(r("j", "a"), r("j", "b"), r("k", "a"))))
                .containsExactly(List.of(0, 1, 2));
    }

    @Test
    void anObjectSeenAgainStartsTheNextRunSoItsResultsStayInOrder() {
        assertThat(ProvisioningLogRepository.segments(
                List.of(r("j", "a"), r("j", "b"), r("j", "a"), r("j", "c"), r("j", "b"), r("j", "b"))))
                .containsExactly(List.of(0, 1), List.of(2, 3, 4), List.of(5));
    }

    private static ProvisioningResult r(String jobId, String objectId) {
        return new ProvisioningResult(1, jobId + "/" + objectId, jobId, "c", "e", ObjectType.USER, objectId, null,
                null, ProvisioningAction.Create, ProvisioningStatus.Success, null, null, 201, 1, 1, List.of(), "test",
                Instant.now());
    }
}
