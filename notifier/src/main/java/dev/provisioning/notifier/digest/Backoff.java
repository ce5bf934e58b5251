package dev.provisioning.notifier.digest;

import java.time.Duration;

/** Exponential backoff for digests the SMTP server refused: {@code first}, doubled per attempt, capped. */
public final class Backoff {

    private Backoff() {
    }

    /** The wait after the {@code attempts}-th failed attempt (1 for the first). */
    public static Duration after(int attempts, Duration first, Duration max) {
        Duration wait = first;
        for (int i = 1; i < attempts && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) > 0 ? max : wait;
    }
}
