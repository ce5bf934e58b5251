package dev.provisioning.writer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.writer.Waits;
import dev.provisioning.writer.config.WriterMeters;

/**
 * A slow start (the demo's writer took 17 s): the scheduler's first round of the deferred-operation release came
 * while the messaging channels were still being wired, so creating {@code EscrowScheduler} failed with SmallRye's
 * {@code SRMSG00019: Unable to connect an emitter with the channel escrow-retries}, logged as an error with its stack
 * for each round until the wiring ended. {@link SlowStart} holds the start in that window, with one deferred operation
 * due. Now the round is skipped, nothing names SRMSG00019, and the operation is released by a later round, once the
 * writer runs and holds its partitions.
 */
@QuarkusTest
@TestProfile(EscrowStartupTest.Slow.class)
class EscrowStartupTest {

    /** {@link SlowStart} on. */
    public static class Slow implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("test.slow-start", "true");
        }
    }

    @Inject
    MeterRegistry registry;

    @Test
    void aReleaseRoundDuringASlowStartIsSkippedQuietlyAndTheDeferredOperationIsStillReleased() {
        assertThat(SlowStart.ROUNDS).as("the first release round came before the channels were wired")
                .contains("releaseDeferred skipped");
        await().atMost(Waits.OUTCOME).until(() -> registry.find(WriterMeters.DEFERRED_RELEASED).counters().stream()
                .mapToDouble(c -> c.count()).sum() >= 1);
        assertThat(SlowStart.ROUNDS).as("no round of the escrow scheduler failed")
                .noneMatch(r -> r.endsWith(" failed"));
        assertThat(SlowStart.SRMSG00019).as("log records naming SRMSG00019").isEmpty();
    }
}
