package dev.provisioning.detector.job;

/**
 * Why a job is quarantined: Entra's reason codes, spelled as Entra spells them (they are shown in the status API, the
 * job state events and the emails).
 */
public enum QuarantineReason {

    /** Druva rejected the secret token (HTTP 401): quarantined at once; a later success, Start or Restart lifts it. */
    InvalidCredentials,

    /**
     * A cycle's failures reached {@link QuarantineRules}; a success of a later cycle, Start or Restart lifts it.
     */
    TooManyFailures,

    /**
     * A cycle's disables and deletes exceeded the accidental deletions threshold and are held (StagedDelete); only the
     * administrator lifts it: allow deletes, Start or Restart.
     */
    DeletionThresholdExceeded,

    /**
     * Cycles kept failing before they sent anything (a source that cannot be read, a directory file that does not
     * match its schema): {@code detector.quarantine-after-failed-cycles} in a row (Entra's job-level quarantine,
     * application-provisioning-quarantine-status.md). A cycle that succeeds, Start or Restart lifts it.
     */
    EncounteredQuarantineException
}
