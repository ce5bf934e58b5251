package dev.provisioning.mapping;

import java.time.Duration;

/**
 * How long this module's tests wait, in one place (issue 10: a loaded two-core CI machine runs two module builds at
 * once, so a ceiling sized for an idle machine fails at random).
 */
public final class Waits {

    /**
     * The ceiling of something that must end (an evaluation that must not run away): a regression fails the test
     * instead of hanging the build. Generous, because a test that is fine returns long before it.
     */
    public static final Duration OUTCOME = Duration.ofMinutes(2);

    private Waits() {
    }
}
