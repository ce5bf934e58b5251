package dev.provisioning.druva;

/**
 * A token bucket of {@code ratePerSecond} capacity, refilled continuously at {@code ratePerSecond}. A rate of 0
 * means unlimited.
 */
final class TokenBucket {

    private final double ratePerSecond;
    private double tokens;
    private long lastRefill;

    TokenBucket(double ratePerSecond) {
        this.ratePerSecond = ratePerSecond;
        this.tokens = Math.max(1, ratePerSecond);
        this.lastRefill = System.nanoTime();
    }

    double ratePerSecond() {
        return ratePerSecond;
    }

    /**
     * Takes a token if one is available.
     *
     * @return 0 when a token was taken, otherwise the whole seconds (at least 1) until the next token
     */
    synchronized long tryAcquire() {
        if (ratePerSecond <= 0) {
            return 0;
        }
        long now = System.nanoTime();
        tokens = Math.min(Math.max(1, ratePerSecond), tokens + (now - lastRefill) / 1e9 * ratePerSecond);
        lastRefill = now;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerSecond));
    }
}
