package dev.provisioning.writer.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void statusesAreClassifiedBeforeRetrying() {
        assertThat(RetryPolicy.classify(200)).isEqualTo(FailureKind.NONE);
        assertThat(RetryPolicy.classify(204)).isEqualTo(FailureKind.NONE);
        assertThat(RetryPolicy.classify(500)).isEqualTo(FailureKind.TRANSIENT);
        assertThat(RetryPolicy.classify(503)).isEqualTo(FailureKind.TRANSIENT);
        assertThat(RetryPolicy.classify(408)).isEqualTo(FailureKind.TRANSIENT);
        assertThat(RetryPolicy.classify(429)).isEqualTo(FailureKind.THROTTLED);
        assertThat(RetryPolicy.classify(401)).isEqualTo(FailureKind.UNAUTHORIZED);
        assertThat(RetryPolicy.classify(400)).isEqualTo(FailureKind.PERMANENT);
        assertThat(RetryPolicy.classify(403)).isEqualTo(FailureKind.PERMANENT);
        assertThat(RetryPolicy.classify(501)).isEqualTo(FailureKind.PERMANENT);
        assertThat(RetryPolicy.classify(404)).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(RetryPolicy.classify(409)).isEqualTo(FailureKind.CONFLICT);
    }

    @Test
    void transportFailuresAreTransientButBadRequestsAreNot() {
        assertThat(RetryPolicy.classify(new ConnectException("Connection refused"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(RetryPolicy.classify(new RuntimeException(new TimeoutException()))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(RetryPolicy.classify(new IllegalArgumentException("bad url"))).isEqualTo(FailureKind.PERMANENT);
    }

    @Test
    void onlyTransientFailuresAreRetriedAndOnlyUpToMaxAttempts() {
        RetryPolicy policy = new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(5),
                () -> 0.5);

        assertThat(policy.shouldRetry(FailureKind.TRANSIENT, 1)).isTrue();
        assertThat(policy.shouldRetry(FailureKind.THROTTLED, 2)).isTrue();
        assertThat(policy.shouldRetry(FailureKind.TRANSIENT, 3)).isFalse();
        assertThat(policy.shouldRetry(FailureKind.PERMANENT, 1)).isFalse();
        assertThat(policy.shouldRetry(FailureKind.UNAUTHORIZED, 1)).isFalse();
    }

    @Test
    void backoffDoublesWithEqualJitterAndIsCapped() {
        RetryPolicy lowest = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(1000), Duration.ofMinutes(5),
                () -> 0.0);
        RetryPolicy highest = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(1000),
                Duration.ofMinutes(5), () -> 0.999999);

        assertThat(lowest.delay(1, null, NOW)).isEqualTo(Duration.ofMillis(50));
        assertThat(highest.delay(1, null, NOW)).isEqualTo(Duration.ofMillis(99));
        assertThat(lowest.delay(3, null, NOW)).isEqualTo(Duration.ofMillis(200));
        assertThat(highest.delay(3, null, NOW)).isEqualTo(Duration.ofMillis(399));
        assertThat(lowest.delay(8, null, NOW)).isEqualTo(Duration.ofMillis(500));
        assertThat(highest.delay(40, null, NOW)).isEqualTo(Duration.ofMillis(999));
    }

    @Test
    void retryAfterInSecondsReplacesTheBackoff() {
        RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(5),
                () -> 0.5);

        assertThat(policy.delay(1, "3", NOW)).isEqualTo(Duration.ofSeconds(3));
        assertThat(policy.delay(1, "120", NOW)).isEqualTo(Duration.ofSeconds(120));
    }

    @Test
    void retryAfterAsHttpDateIsTheTimeUntilThatDate() {
        RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(5),
                () -> 0.5);

        assertThat(policy.delay(1, "Thu, 26 Nov 2026 10:00:07 GMT", NOW)).isEqualTo(Duration.ofSeconds(7));
        assertThat(policy.delay(1, "Thu, 26 Nov 2026 09:59:00 GMT", NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void unreadableRetryAfterFallsBackToTheBackoff() {
        RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(5),
                () -> 0.0);

        assertThat(policy.delay(1, "soon", NOW)).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void theDefaultsRetryForMinutesNotSecondsAndThenStop() {
        RetryPolicy defaults = new RetryPolicy(12, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(5),
                () -> 1.0);
        RetryBudget budget = new RetryBudget();
        Instant now = NOW;
        int attempt = 1;
        Duration waited = Duration.ZERO;
        while (true) {
            var delay = defaults.nextDelay(FailureKind.TRANSIENT, attempt, null, budget, now);
            if (delay.isEmpty()) {
                break;
            }
            waited = waited.plus(delay.get());
            now = now.plus(delay.get());
            attempt++;
        }
        // 1, 2, 4, 8, 16, 32, 60, 60, 60 s: nine retries over four minutes; the next would start after five
        assertThat(attempt).isEqualTo(10);
        assertThat(waited).isEqualTo(Duration.ofSeconds(243));
    }

    @Test
    void theBudgetIsSharedByAnOperationsRequestsAndCountsFromItsFirstFailure() {
        RetryPolicy policy = new RetryPolicy(12, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(5),
                () -> 1.0);
        RetryBudget budget = new RetryBudget();

        assertThat(policy.nextDelay(FailureKind.TRANSIENT, 1, null, budget, NOW)).contains(Duration.ofSeconds(1));
        // a second request of the same operation, four minutes later: a 60 s backoff would start after the budget
        assertThat(policy.nextDelay(FailureKind.TRANSIENT, 1, "90", budget, NOW.plusSeconds(240))).isEmpty();
        assertThat(policy.nextDelay(FailureKind.TRANSIENT, 1, "30", budget, NOW.plusSeconds(240)))
                .contains(Duration.ofSeconds(30));
        assertThat(budget.firstFailure()).isEqualTo(NOW);
    }

    @Test
    void aPermanentFailureOrTheLastAttemptIsNotRetried() {
        RetryPolicy policy = new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(5),
                () -> 1.0);

        assertThat(policy.nextDelay(FailureKind.PERMANENT, 1, null, new RetryBudget(), NOW)).isEmpty();
        assertThat(policy.nextDelay(FailureKind.UNAUTHORIZED, 1, null, new RetryBudget(), NOW)).isEmpty();
        assertThat(policy.nextDelay(FailureKind.TRANSIENT, 3, null, new RetryBudget(), NOW)).isEmpty();
        assertThat(policy.nextDelay(FailureKind.THROTTLED, 2, "2", new RetryBudget(), NOW))
                .contains(Duration.ofSeconds(2));
    }
}
