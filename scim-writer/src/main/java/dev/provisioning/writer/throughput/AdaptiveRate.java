package dev.provisioning.writer.throughput;

/**
 * A tenant's request rate: a smooth reservation-style token bucket (each request reserves the next free slot,
 * {@code 1/rate} after the previous one) whose rate adapts to the target the way TCP adapts its window:
 * <ul>
 * <li>A 429 is one congestion signal per round trip, not per request: it halves the rate (down to a floor) only when
 * the throttled request was sent after the previous halving. The requests already in flight when the target began
 * throttling were sent at the old rate and say nothing new, so a burst of 429 on 32 requests in flight halves the rate
 * once, not 32 times.</li>
 * <li>A {@code Retry-After} pauses the tenant until it has passed: no slot starts before it, and a slot reserved
 * before the pause is void ({@link #current}); its caller reserves again after the pause.</li>
 * <li>Every other answer to a request sent after the last halving gives back {@code recoveryFraction} of the ceiling
 * (additive per answer, so the rate roughly multiplies by {@code e} per {@code 1 / (ceiling x recoveryFraction)}
 * seconds while it is in use: with 25 requests/s and 0.05, from half back to the ceiling in about 0.6 s of answers,
 * from the floor in about 3 s). Time alone does not raise it.</li>
 * </ul>
 * The rate never exceeds the ceiling (the configured budget this replica may use).
 * <p>
 * Plain Java with the clock passed in (nanoseconds, {@link System#nanoTime()} values: compared by difference), so the
 * arithmetic is tested with a fake clock. Thread-safe.
 */
public final class AdaptiveRate {

    private static final long SECOND = 1_000_000_000L;

    /**
     * A reserved slot.
     *
     * @param waitNanos how long the caller waits before sending; 0 to send now
     * @param epoch the pause epoch it was reserved in: when the wait is over, send only if {@link #current} says so,
     *        otherwise reserve again
     */
    public record Slot(long waitNanos, long epoch) {
    }

    private final double floor;
    private final double recoveryFraction;
    private double ceiling;
    private double rate;
    private long nextFree;
    private long pausedUntil;
    private long epoch;
    private long lastHalved;
    private boolean halvedOnce;

    /**
     * @param ceiling the configured rate (requests/s) this replica may use for the tenant
     * @param floor the lowest rate after halvings (requests/s)
     * @param recoveryFraction the fraction of the ceiling regained per answer (not 429) to a request sent after the
     *        last halving (0.05: 20 answers from nothing back to the ceiling)
     * @param now the current time in nanoseconds
     * @throws IllegalArgumentException if a rate is not positive or the fraction is negative
     */
    public AdaptiveRate(double ceiling, double floor, double recoveryFraction, long now) {
        if (ceiling <= 0 || floor <= 0 || recoveryFraction < 0) {
            throw new IllegalArgumentException("rates must be positive, got ceiling " + ceiling + ", floor " + floor
                    + ", recovery " + recoveryFraction);
        }
        this.ceiling = ceiling;
        this.floor = Math.min(floor, ceiling);
        this.recoveryFraction = recoveryFraction;
        this.rate = ceiling;
        this.nextFree = now;
        this.pausedUntil = now;
    }

    /** Reserves the next slot: never before a {@code Retry-After} pause has passed. */
    public synchronized Slot reserve(long now) {
        long start = latest(latest(now, nextFree), pausedUntil);
        nextFree = start + (long) Math.ceil(SECOND / rate);
        return new Slot(start - now, epoch);
    }

    /**
     * Whether a slot still holds once its wait is over: false when a {@code Retry-After} pause began or grew after it
     * was reserved (then the caller reserves again, after the pause).
     */
    public synchronized boolean current(Slot slot) {
        return slot.epoch() == epoch;
    }

    /**
     * The target answered 429.
     *
     * @param now the time of the answer (nanoseconds)
     * @param sentAt when the throttled request was sent (nanoseconds)
     * @param retryAfterNanos the target's {@code Retry-After} from now, or 0 for none
     * @return whether this 429 halved the rate (false: its request was sent before the last halving)
     */
    public synchronized boolean throttled(long now, long sentAt, long retryAfterNanos) {
        if (retryAfterNanos > 0 && now + retryAfterNanos - pausedUntil > 0) {
            pausedUntil = now + retryAfterNanos;
            // never earlier than the rate's own spacing from the last slot (a Retry-After shorter than the spacing)
            nextFree = latest(nextFree, pausedUntil);
            epoch++;
        }
        if (halvedOnce && sentAt - lastHalved <= 0) {
            return false;
        }
        rate = Math.max(floor, rate / 2);
        lastHalved = now;
        halvedOnce = true;
        return true;
    }

    /**
     * The target answered a request with anything but 429: if it was sent after the last halving, the rate grows
     * by {@code recoveryFraction} of the ceiling, up to the ceiling.
     *
     * @param sentAt when the answered request was sent (nanoseconds)
     */
    public synchronized void answered(long sentAt) {
        if (rate < ceiling && (!halvedOnce || sentAt - lastHalved > 0)) {
            rate = Math.min(ceiling, rate + ceiling * recoveryFraction);
        }
    }

    /**
     * Changes the ceiling (another replica came or went). A rate at the old ceiling moves to the new one; a rate
     * reduced by 429s stays where it is, below the new ceiling.
     */
    public synchronized void ceiling(double newCeiling) {
        if (newCeiling <= 0) {
            throw new IllegalArgumentException("the ceiling must be positive, got " + newCeiling);
        }
        boolean atCeiling = rate >= ceiling;
        ceiling = newCeiling;
        if (atCeiling || rate > newCeiling) {
            rate = newCeiling;
        }
    }

    /** The current rate, requests/s. */
    public synchronized double rate() {
        return rate;
    }

    public synchronized double ceiling() {
        return ceiling;
    }

    /** The remaining {@code Retry-After} pause at {@code now}, nanoseconds (0: none). */
    public synchronized long pausedFor(long now) {
        return Math.max(0, pausedUntil - now);
    }

    /** The later of two {@link System#nanoTime()} values (compared by difference, as nanoTime requires). */
    private static long latest(long a, long b) {
        return a - b >= 0 ? a : b;
    }
}
