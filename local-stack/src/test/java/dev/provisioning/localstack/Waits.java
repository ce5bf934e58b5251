package dev.provisioning.localstack;

import java.time.Duration;

/**
 * How long this module's tests wait, in one place (issue 10: a loaded two-core CI machine runs two module builds at
 * once, so a ceiling sized for an idle machine fails at random).
 */
public final class Waits {

    /**
     * The ceiling of a wait for an outcome that must happen (a topic listing, a broker ack, a record). The waits return
     * as soon as the outcome is there, so a long ceiling costs nothing when things work.
     */
    public static final Duration OUTCOME = Duration.ofMinutes(2);

    private Waits() {
    }
}
