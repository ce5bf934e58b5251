package dev.provisioning.notifier;

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
     * The ceiling of a quiet-period wait, {@code await().during(QUIET).atMost(QUIET_CEILING)}, whose outcome was awaited
     * first: the period plus room for slow polls on a loaded machine. A condition that keeps holding returns after
     * {@link #QUIET}; one that breaks for good (a second email arrived) fails the wait at this ceiling.
     */
    public static final Duration QUIET_CEILING = QUIET.plus(OUTCOME);

    private Waits() {
    }
}
