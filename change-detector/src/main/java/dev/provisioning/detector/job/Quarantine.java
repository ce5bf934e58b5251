package dev.provisioning.detector.job;

import java.time.Instant;

import dev.provisioning.events.ProvisioningResult;

/**
 * A job's quarantine.
 *
 * @param reason Entra's reason code
 * @param detail what happened and what to do, for the administrator
 * @param since when the job entered this quarantine (or its reason last changed)
 * @param key {@code <reason>/<occurrence>} (the cycle, and for a rejected token the object whose result said so): the
 *        quarantine's job state events have ids built from it, so that telling it again is recognised downstream
 */
public record Quarantine(QuarantineReason reason, String detail, Instant since, String key) {

    /**
     * Whether this successful result lifts the quarantine, as a successful retry does in Entra: it was decided after
     * the quarantine began, and for TooManyFailures it comes from another cycle than the one that failed (whose
     * remaining successes say nothing new). A DeletionThresholdExceeded quarantine waits for the administrator.
     */
    boolean liftedBy(ProvisioningResult success) {
        if (success.occurredAt() == null || !success.occurredAt().isAfter(since)) {
            return false;
        }
        return switch (reason) {
            case InvalidCredentials -> true;
            case TooManyFailures -> !key.equals(QuarantineReason.TooManyFailures.name() + "/" + success.cycleId());
            case DeletionThresholdExceeded, EncounteredQuarantineException -> false;
        };
    }
}
