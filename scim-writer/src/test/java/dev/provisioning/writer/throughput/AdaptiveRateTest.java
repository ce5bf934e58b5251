package dev.provisioning.writer.throughput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class AdaptiveRateTest {

    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;

    @Test
    void reservationsAreSpacedOneOverTheRateApart() {
        AdaptiveRate rate = new AdaptiveRate(25, 0.5, 0.5, 0);

        assertThat(rate.reserve(0)).isZero();
        assertThat(rate.reserve(0)).isEqualTo(40 * MS);
        assertThat(rate.reserve(0)).isEqualTo(80 * MS);
        // a caller that comes after its slot sends at once
        assertThat(rate.reserve(200 * MS)).isZero();
    }

    @Test
    void aThousandBackToBackReservationsTakeFortySecondsAtTwentyFivePerSecond() {
        AdaptiveRate rate = new AdaptiveRate(25, 0.5, 0.5, 0);
        long last = 0;
        for (int i = 0; i < 1000; i++) {
            last = rate.reserve(0);
        }
        assertThat(last).isEqualTo(999 * 40 * MS);
    }

    @Test
    void a429HalvesTheRateOncePerSecondAndHonoursRetryAfter() {
        AdaptiveRate rate = new AdaptiveRate(20, 1, 0.025, 0);

        rate.throttled(0, 2 * S);
        rate.throttled(10 * MS, 0); // the same burst: not halved again

        assertThat(rate.rate(10 * MS)).isCloseTo(10, within(0.01));
        assertThat(rate.reserve(10 * MS)).isEqualTo(2 * S - 10 * MS);

        rate.throttled(S + 10 * MS, 0);
        assertThat(rate.rate(S + 10 * MS)).isCloseTo(5.25, within(0.01));
    }

    @Test
    void theRateRecoversLinearlyUpToTheCeilingButNotBeyond() {
        AdaptiveRate rate = new AdaptiveRate(20, 1, 0.025, 0);
        rate.throttled(0, 0);

        assertThat(rate.rate(4 * S)).isCloseTo(12, within(0.01));
        assertThat(rate.rate(100 * S)).isEqualTo(20);
    }

    @Test
    void theRateNeverFallsBelowTheFloor() {
        AdaptiveRate rate = new AdaptiveRate(4, 1, 0, 0);
        for (int i = 0; i < 10; i++) {
            rate.throttled(i * 2 * S, 0);
        }
        assertThat(rate.rate(20 * S)).isEqualTo(1);
    }

    @Test
    void aNewCeilingMovesAnUnthrottledRateAndCapsAThrottledOne() {
        AdaptiveRate rate = new AdaptiveRate(25, 1, 0, 0);
        rate.ceiling(12.5, 0);
        assertThat(rate.rate(0)).isEqualTo(12.5);
        rate.ceiling(25, 0);
        assertThat(rate.rate(0)).isEqualTo(25);

        rate.throttled(0, 0);
        rate.ceiling(50, 0);
        assertThat(rate.rate(0)).isEqualTo(12.5);
    }
}
