package dev.provisioning.writer;

import java.time.Duration;

/**
 * How long this module's tests wait, in one place (issue 10: a loaded two-core CI machine runs two module builds at
 * once, so a ceiling sized for an idle machine fails at random).
 */
public final class Waits {

    /**
     * The ceiling of a wait for an outcome that must happen (a record, an email, a state, a Druva object). Awaitility
     * returns as soon as the condition holds, so a long ceiling costs nothing when things work.
     */
    public static final Duration OUTCOME = Duration.ofMinutes(2);

    /**
     * A quiet period: how long something must keep not happening (no second email, no extra record). As short as its
     * meaning allows; these and {@link #OUTCOME}-bounded waits are the only waits in the tests.
     */
    public static final Duration QUIET = Duration.ofSeconds(5);

    /**
     * The ceiling of a wait for hundreds of operations to be carried out against a Druva that fails and throttles on
     * purpose (retries, backoff, escrow): longer than {@link #OUTCOME}, as a loaded machine may need it.
     */
    public static final Duration BURST = Duration.ofMinutes(5);

    private Waits() {
    }
}
