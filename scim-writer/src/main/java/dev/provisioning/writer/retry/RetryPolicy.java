package dev.provisioning.writer.retry;

import java.net.ConnectException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Classifies the answers of the SCIM target and decides the backoff between attempts of a request: the data of the
 * in-request retry, which {@code ScimClient} applies with Mutiny's retry ({@code onFailure().retry().when(...)}).
 * Plain Java: no framework, no clock, no randomness of its own (both are passed in), so it is tested in milliseconds.
 *
 * <p>
 * Backoff: attempt {@code n} (1-based, the one that just failed) waits {@code min(maxDelay, baseDelay * 2^(n-1))}
 * with "equal jitter" (half fixed, half random), so replicas that failed together do not retry together. A
 * {@code Retry-After} header (seconds or an HTTP date, RFC 9110 section 10.2.3) replaces the computed delay, even
 * when it exceeds {@code maxDelay}: the target said when it will accept us again.
 *
 * <p>
 * Bound: at most {@code maxAttempts} attempts per request, and no retry that would start more than
 * {@code maxDuration} after the first failure of the operation ({@link RetryBudget}, shared by all the requests of one
 * operation). The defaults (1 s doubling to 60 s, 5 minutes) ride out a burst of server errors or throttling of a few
 * minutes; an operation that still fails is escrowed (Entra's schedule, {@code EscrowSchedule}), and every operation
 * has its result within about {@code maxDuration} of its first failure.
 */
public final class RetryPolicy {

    private final int maxAttempts;
    private final Duration baseDelay;
    private final Duration maxDelay;
    private final Duration maxDuration;
    private final DoubleSupplier random;

    /**
     * @param maxAttempts attempts per request, the first included (at least 1)
     * @param baseDelay the delay after the first failed attempt, before jitter
     * @param maxDelay the cap of the computed delay
     * @param maxDuration how long after an operation's first failure a retry may still start
     * @param random uniform values in [0, 1) for the jitter
     */
    public RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration maxDuration,
            DoubleSupplier random) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("writer.retry.max-attempts must be at least 1, got " + maxAttempts);
        }
        if (baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("writer.retry.base-delay must be >= 0 and <= writer.retry.max-delay");
        }
        if (maxDuration.isNegative()) {
            throw new IllegalArgumentException("writer.retry.max-duration must be >= 0, got " + maxDuration);
        }
        this.maxAttempts = maxAttempts;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.maxDuration = maxDuration;
        this.random = random;
    }

    /** A policy with thread-local randomness. */
    public static RetryPolicy of(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration maxDuration) {
        return new RetryPolicy(maxAttempts, baseDelay, maxDelay, maxDuration,
                () -> ThreadLocalRandom.current().nextDouble());
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public Duration maxDuration() {
        return maxDuration;
    }

    /**
     * The wait before the next attempt of a request that just failed, or empty when it is not retried: the failure is
     * not retryable, the request had its {@code maxAttempts}, or the next attempt would start more than
     * {@code maxDuration} after the operation's first failure.
     *
     * @param kind what the failed attempt's answer means
     * @param attempt the attempt that just failed, 1-based
     * @param retryAfter the target's {@code Retry-After} header, or null
     * @param budget the operation's retry budget (its first failure is recorded now if it is the first)
     * @param now the current time
     */
    public Optional<Duration> nextDelay(FailureKind kind, int attempt, String retryAfter, RetryBudget budget,
            Instant now) {
        Instant firstFailure = budget.failedAt(now);
        if (!shouldRetry(kind, attempt)) {
            return Optional.empty();
        }
        Duration delay = delay(attempt, retryAfter, now);
        return now.plus(delay).isAfter(firstFailure.plus(maxDuration)) ? Optional.empty() : Optional.of(delay);
    }

    /** What an HTTP status means. */
    public static FailureKind classify(int status) {
        if (status >= 200 && status < 300) {
            return FailureKind.NONE;
        }
        return switch (status) {
            case 429 -> FailureKind.THROTTLED;
            case 408 -> FailureKind.TRANSIENT;
            case 401 -> FailureKind.UNAUTHORIZED;
            case 404 -> FailureKind.NOT_FOUND;
            case 409 -> FailureKind.CONFLICT;
            case 501 -> FailureKind.PERMANENT;
            default -> status >= 500 && status < 600 ? FailureKind.TRANSIENT : FailureKind.PERMANENT;
        };
    }

    /**
     * What a request that got no HTTP answer means: a timeout, a refused or reset connection is transient; a request
     * we could not even form (a malformed tenant URL) is permanent.
     */
    public static FailureKind classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MalformedURLException || t instanceof URISyntaxException
                    || t instanceof IllegalArgumentException) {
                return FailureKind.PERMANENT;
            }
            if (t instanceof ConnectException || t instanceof java.util.concurrent.TimeoutException) {
                return FailureKind.TRANSIENT;
            }
        }
        // no answer at all (reset, closed, DNS hiccup, Vert.x timeout): the target may answer next time
        return FailureKind.TRANSIENT;
    }

    /** Whether the request that just failed as {@code kind} on attempt {@code attempt} (1-based) is sent again. */
    public boolean shouldRetry(FailureKind kind, int attempt) {
        return kind.retryable() && attempt < maxAttempts;
    }

    /**
     * The wait before the next attempt.
     *
     * @param attempt the attempt that just failed, 1-based
     * @param retryAfter the target's {@code Retry-After} header, or null
     * @param now the current time, to turn an HTTP date into a delay
     */
    public Duration delay(int attempt, String retryAfter, Instant now) {
        Optional<Duration> asked = parseRetryAfter(retryAfter, now);
        if (asked.isPresent()) {
            return asked.get();
        }
        long base = baseDelay.toMillis();
        int shift = Math.min(Math.max(attempt - 1, 0), 30);
        long exponential = Math.min(maxDelay.toMillis(), base << shift);
        if (exponential < 0) {
            exponential = maxDelay.toMillis();
        }
        long half = exponential / 2;
        return Duration.ofMillis(half + (long) (random.getAsDouble() * (exponential - half)));
    }

    /**
     * Reads a {@code Retry-After} header: delay-seconds or an HTTP date (RFC 9110). A date in the past means now.
     *
     * @return empty when absent or unreadable
     */
    public static Optional<Duration> parseRetryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String value = header.trim();
        if (value.chars().allMatch(Character::isDigit)) {
            try {
                return Optional.of(Duration.ofSeconds(Long.parseLong(value)));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        try {
            Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration until = Duration.between(now, at);
            return Optional.of(until.isNegative() ? Duration.ZERO : until);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
