package dev.provisioning.detector.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QuarantineRulesTest {

    @Test
    void fewerThanFiveThousandFailuresNeverQuarantineEvenAtOneHundredPercent() {
        assertThat(QuarantineRules.tooManyFailures(4_999, 4_999)).isFalse();
        assertThat(QuarantineRules.tooManyFailures(0, 0)).isFalse();
    }

    @Test
    void fiveThousandFailuresQuarantineWhenMoreThanFortyPercentOfOperationsFail() {
        assertThat(QuarantineRules.tooManyFailures(5_000, 12_499)).isTrue(); // 40.003 %
        assertThat(QuarantineRules.tooManyFailures(5_000, 12_500)).isFalse(); // exactly 40 %
        assertThat(QuarantineRules.tooManyFailures(5_000, 100_000)).isFalse(); // 5 %
    }

    @Test
    void moreThanFortyThousandFailuresQuarantineWhateverTheRatio() {
        assertThat(QuarantineRules.tooManyFailures(40_000, 1_000_000)).isFalse();
        assertThat(QuarantineRules.tooManyFailures(40_001, 1_000_000)).isTrue();
    }

    @Test
    void moreThanSixtyThousandFailuresAlwaysQuarantine() {
        assertThat(QuarantineRules.tooManyFailures(60_001, Long.MAX_VALUE / 200)).isTrue();
    }

    @Test
    void theReasonSaysHowManyOfHowManyFailed() {
        assertThat(QuarantineRules.failureReason(6_000, 10_000)).hasValueSatisfying(
                reason -> assertThat(reason).startsWith("6000 of 10000 operations (60.0 %) failed"));
        assertThat(QuarantineRules.failureReason(10, 10)).isEmpty();
    }
}
