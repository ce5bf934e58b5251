package dev.provisioning.writer.throughput;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class TenantHealthTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    private final TenantHealth health = new TenantHealth(Duration.ofMinutes(5), Duration.ofMinutes(1));

    @Test
    void aTenantThatAnsweredNothingForTheWholeBudgetIsDownAndProbedOnceAMinute() {
        health.answered("t", T0);

        assertThat(health.exhausted("t", T0.plus(Duration.ofMinutes(6)))).isTrue();
        assertThat(health.downSince("t")).contains(T0.plus(Duration.ofMinutes(6)));
        assertThat(health.admits("t", T0.plus(Duration.ofSeconds(390)))).isFalse();
        assertThat(health.admits("t", T0.plus(Duration.ofMinutes(7)))).as("the probe").isTrue();
        assertThat(health.admits("t", T0.plus(Duration.ofSeconds(421)))).isFalse();

        health.answered("t", T0.plus(Duration.ofSeconds(430)));
        assertThat(health.admits("t", T0.plus(Duration.ofSeconds(431)))).isTrue();
        assertThat(health.downSince("t")).isEmpty();
    }

    @Test
    void oneObjectThatKeepsFailingAmongAnsweredRequestsDoesNotTakeItsTenantDown() {
        health.answered("t", T0.plus(Duration.ofMinutes(4)));

        assertThat(health.exhausted("t", T0.plus(Duration.ofMinutes(5)))).isFalse();
        assertThat(health.admits("t", T0.plus(Duration.ofMinutes(5)))).isTrue();
    }

    @Test
    void tenantsAreIndependent() {
        health.exhausted("down", T0);

        assertThat(health.admits("down", T0.plusSeconds(1))).isFalse();
        assertThat(health.admits("other", T0.plusSeconds(1))).isTrue();
    }
}
