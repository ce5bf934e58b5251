package dev.provisioning.detector.job;

import java.util.Optional;

/**
 * Entra's quarantine arithmetic, per cycle ({@link QuarantineReason#TooManyFailures}). Plain Java.
 *
 * <ul>
 * <li>at once when the target rejects the credentials (401, {@code InvalidCredentials});</li>
 * <li>once there are at least {@value #MIN_FAILURES} failures, when more than 40 % of the operations fail or more
 * than {@value #MAX_FAILURES} fail;</li>
 * <li>always above {@value #ALWAYS_FAILURES} failures.</li>
 * </ul>
 * Operations are the results that are not Skipped (a skipped object sent nothing to Druva).
 */
public final class QuarantineRules {

    public static final long MIN_FAILURES = 5_000;
    public static final int MAX_FAILURE_PERCENT = 40;
    public static final long MAX_FAILURES = 40_000;
    public static final long ALWAYS_FAILURES = 60_000;

    private QuarantineRules() {
    }

    /** Whether a cycle with {@code failures} failed operations out of {@code operations} must be quarantined. */
    public static boolean tooManyFailures(long failures, long operations) {
        if (failures > ALWAYS_FAILURES) {
            return true;
        }
        if (failures < MIN_FAILURES) {
            return false;
        }
        return failures > MAX_FAILURES || failures * 100 > operations * MAX_FAILURE_PERCENT;
    }

    /** The sentence for the administrator when {@link #tooManyFailures} holds, else empty. */
    public static Optional<String> failureReason(long failures, long operations) {
        if (!tooManyFailures(failures, operations)) {
            return Optional.empty();
        }
        double percent = operations == 0 ? 100 : failures * 100.0 / operations;
        return Optional.of(failures + " of " + operations + " operations ("
                + String.format(java.util.Locale.ROOT, "%.1f", percent)
                + " %) failed in one cycle: the job is quarantined and retries once a day. Fix the cause, then "
                + "start or restart the job.");
    }
}
