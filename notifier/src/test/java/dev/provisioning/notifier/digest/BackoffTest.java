package dev.provisioning.notifier.digest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void doublesPerAttemptUpToTheCap() {
        Duration first = Duration.ofMinutes(1);
        Duration max = Duration.ofMinutes(10);

        assertThat(Backoff.after(1, first, max)).isEqualTo(Duration.ofMinutes(1));
        assertThat(Backoff.after(2, first, max)).isEqualTo(Duration.ofMinutes(2));
        assertThat(Backoff.after(4, first, max)).isEqualTo(Duration.ofMinutes(8));
        assertThat(Backoff.after(5, first, max)).isEqualTo(max);
        assertThat(Backoff.after(1000, first, max)).isEqualTo(max);
    }
}
