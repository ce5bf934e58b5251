package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Dead letters of a deleted or unconfigured job: one WARN per run, every record counted, one summary per run. */
class DeadLetterTallyTest {

    final MeterRegistry registry = new SimpleMeterRegistry();
    final DeadLetterTally tally = new DeadLetterTally(Logger.getLogger(DeadLetterTallyTest.class), registry,
            "test.records.dead.lettered", "records");

    @Test
    void onlyTheFirstRecordOfAJobAndReasonOpensARunAndEveryRecordIsCounted() {
        assertThat(tally.deadLettered("job-a", DeadLetterTally.JOB_DELETED, "job job-a was deleted", "u1")).isTrue();
        assertThat(tally.deadLettered("job-a", DeadLetterTally.JOB_DELETED, "job job-a was deleted", "u2")).isFalse();
        assertThat(tally.deadLettered("job-a", DeadLetterTally.JOB_DELETED, "job job-a was deleted", "u3")).isFalse();
        assertThat(tally.deadLettered("job-b", DeadLetterTally.JOB_DELETED, "job job-b was deleted", "u1"))
                .as("another job opens its own run").isTrue();
        assertThat(tally.deadLettered("job-a", DeadLetterTally.JOB_NEVER_CONFIGURED, "not received", "u4"))
                .as("another reason opens its own run").isTrue();

        assertThat(count("job-a", DeadLetterTally.JOB_DELETED)).isEqualTo(3.0);
        assertThat(count("job-b", DeadLetterTally.JOB_DELETED)).isEqualTo(1.0);
        assertThat(count("job-a", DeadLetterTally.JOB_NEVER_CONFIGURED)).isEqualTo(1.0);
    }

    @Test
    void aRunIsSummedUpOnceItStopsGrowingAndALaterRecordOpensANewOne() {
        tally.deadLettered("job-a", DeadLetterTally.JOB_DELETED, "job job-a was deleted", "u1");
        tally.deadLettered("job-a", DeadLetterTally.JOB_DELETED, "job job-a was deleted", "u2");

        assertThat(tally.check()).as("it grew since the previous check").isEmpty();
        tally.deadLettered("job-a", DeadLetterTally.JOB_DELETED, "job job-a was deleted", "u3");
        assertThat(tally.check()).as("it grew again").isEmpty();
        assertThat(tally.check()).containsExactly("job job-a: 3 records dead-lettered: job job-a was deleted");
        assertThat(tally.check()).as("a closed run is forgotten").isEmpty();

        assertThat(tally.deadLettered("job-a", DeadLetterTally.JOB_DELETED, "job job-a was deleted", "u4")).isTrue();
        assertThat(count("job-a", DeadLetterTally.JOB_DELETED)).as("the counter goes on").isEqualTo(4.0);
    }

    private double count(String jobId, String reason) {
        return registry.get("test.records.dead.lettered").tag(MeterTags.PROVISIONING_JOB, jobId).tag("reason", reason)
                .counter().count();
    }
}
