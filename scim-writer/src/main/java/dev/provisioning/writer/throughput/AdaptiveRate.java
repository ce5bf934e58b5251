package dev.provisioning.writer.throughput;

/**
 * A tenant's request rate: a smooth reservation-style token bucket (each request reserves the next free slot,
 * {@code 1/rate} after the previous one) whose rate adapts to the target. A 429 halves the rate (at most once per
 * second, down to a floor) and a {@code Retry-After} pauses every slot until it has passed; after that the rate grows
 * back linearly towards the ceiling (a fixed fraction of the ceiling per second) ("additive increase, multiplicative decrease").
 *
 * <p>
 * Plain Java with the clock passed in (nanoseconds), so the arithmetic is tested in milliseconds. Thread-safe.
 */
public final class AdaptiveRate {

    private static final long SECOND = 1_000_000_000L;

    private final double floor;
    private final double recoveryFraction;
    private double ceiling;
    private double rate;
    private long nextFree;
    private long lastAdjust;
    private long lastHalved;
    private boolean halvedOnce;

    /**
     * @param ceiling the configured rate (requests/s) this replica may use for the tenant
     * @param floor the lowest rate after halvings
     * @param recoveryFraction the fraction of the ceiling regained per second without a 429 (0.05: from the floor
     *        back to the ceiling in about 20 s)
     * @param now the current time in nanoseconds
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
        this.lastAdjust = now;
    }

    /**
     * Reserves the next slot.
     *
     * @return how long (nanoseconds) the caller waits before sending; 0 to send now
     */
    public synchronized long reserve(long now) {
        recover(now);
        long start = Math.max(now, nextFree);
        nextFree = start + (long) Math.ceil(SECOND / rate);
        return start - now;
    }

    /** The target answered 429: halve the rate (once per second at most) and honour its Retry-After. */
    public synchronized void throttled(long now, long retryAfterNanos) {
        recover(now);
        if (!halvedOnce || now - lastHalved >= SECOND) {
            rate = Math.max(floor, rate / 2);
            lastHalved = now;
            halvedOnce = true;
        }
        if (retryAfterNanos > 0) {
            nextFree = Math.max(nextFree, now + retryAfterNanos);
        }
    }

    /**
     * Changes the ceiling (another replica came or went). A rate at the old ceiling moves to the new one; a rate
     * reduced by 429s stays where it is, below the new ceiling.
     */
    public synchronized void ceiling(double newCeiling, long now) {
        if (newCeiling <= 0) {
            throw new IllegalArgumentException("the ceiling must be positive, got " + newCeiling);
        }
        recover(now);
        boolean atCeiling = rate >= ceiling;
        ceiling = newCeiling;
        if (atCeiling || rate > newCeiling) {
            rate = newCeiling;
        }
    }

    /** The current rate, requests/s. */
    public synchronized double rate(long now) {
        recover(now);
        return rate;
    }

    public synchronized double ceiling() {
        return ceiling;
    }

    private void recover(long now) {
        if (rate < ceiling && now > lastAdjust) {
            rate = Math.min(ceiling, rate + ceiling * recoveryFraction * (now - lastAdjust) / SECOND);
        }
        lastAdjust = Math.max(lastAdjust, now);
    }
}
