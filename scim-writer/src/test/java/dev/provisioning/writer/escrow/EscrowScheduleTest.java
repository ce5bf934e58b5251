package dev.provisioning.writer.escrow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class EscrowScheduleTest {

    private final EscrowSchedule entra = new EscrowSchedule(
            List.of(Duration.ofHours(6), Duration.ofHours(12), Duration.ofHours(24)), Duration.ofHours(24),
            Duration.ofDays(28));

    @Test
    void entrasScheduleRetriesAfterSixTwelveAndTwentyFourHoursThenDailyAndDropsAfterTwentyEightDays() {
        Instant first = Instant.parse("2025-01-01T00:00:00Z");
        List<Instant> retries = new ArrayList<>();
        Instant now = first;
        for (int done = 0;; done++) {
            Optional<Instant> next = entra.next(first, done, now);
            if (next.isEmpty()) {
                break;
            }
            retries.add(next.get());
            now = next.get();
        }
        assertThat(retries).startsWith(Instant.parse("2025-01-01T06:00:00Z"), Instant.parse("2025-01-01T18:00:00Z"),
                Instant.parse("2025-01-02T18:00:00Z"), Instant.parse("2025-01-03T18:00:00Z"));
        assertThat(retries.get(retries.size() - 1)).isBeforeOrEqualTo(first.plus(Duration.ofDays(28)));
        assertThat(retries).hasSize(29);
    }
}
