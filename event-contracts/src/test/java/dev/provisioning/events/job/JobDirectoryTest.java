package dev.provisioning.events.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

class JobDirectoryTest {

    private static JobConfig job(String id, long revision, String tenantUrl) {
        return new JobConfig(1, id, "Druva", JobState.ACTIVE, tenantUrl, null, null, false, null, true, null, null,
                false, null, null, null, null, revision, Instant.now());
    }

    @Test
    void aWaitForARevisionCompletesOnlyWhenThatRevisionOrALaterOneArrives() {
        JobDirectory directory = new JobDirectory();
        directory.put(job("j", 1, "https://old.test/scim"));

        CompletableFuture<JobConfig> saved = directory.await("j", 2);
        assertThat(saved).isNotDone();

        directory.put(job("j", 2, "https://new.test/scim"));
        assertThat(saved).isCompletedWithValueMatching(j -> j.tenantUrl().equals("https://new.test/scim"));
        assertThat(directory.await("j", 2)).isCompletedWithValueMatching(j -> j.revision() == 2);
    }

    @Test
    void anOlderRevisionArrivingLateNeitherReplacesTheNewerOneNorCompletesTheWait() {
        JobDirectory directory = new JobDirectory();
        directory.put(job("j", 3, "https://three.test/scim"));
        CompletableFuture<JobConfig> four = directory.await("j", 4);

        directory.put(job("j", 2, "https://two.test/scim"));

        assertThat(four).isNotDone();
        assertThat(directory.find("j")).hasValueSatisfying(j -> assertThat(j.revision()).isEqualTo(3));
        assertThat(directory.await("j", 1)).isCompletedWithValueMatching(j -> j.revision() == 3);
    }

    @Test
    void aWaitForAnyRevisionCompletesWithTheFirstOneAndACancelledWaitIsForgotten() {
        JobDirectory directory = new JobDirectory();
        CompletableFuture<JobConfig> any = directory.await("k");
        CompletableFuture<JobConfig> abandoned = directory.await("k", 9);
        abandoned.cancel(false);

        directory.put(job("k", 1, "https://k.test/scim"));

        assertThat(any).isCompletedWithValueMatching(j -> j.revision() == 1);
        assertThat(abandoned).isCancelled();
    }
}
