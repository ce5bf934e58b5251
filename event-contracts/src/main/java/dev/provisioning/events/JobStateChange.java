package dev.provisioning.events;

/** A change in a job's health that the administrator must hear about. */
public enum JobStateChange {
    /** The job entered quarantine (or its quarantine reason changed). */
    QUARANTINE_STARTED,
    /** The job left quarantine (a successful retry, Start or Restart). */
    QUARANTINE_LIFTED,
    /**
     * A cycle's disables and deletes exceeded the accidental-deletion threshold and are held as StagedDelete. Told right
     * before the QUARANTINE_STARTED (DeletionThresholdExceeded) it causes, in the same unit of work; alone when the job
     * already is quarantined for that reason (a later cycle holds more).
     */
    DELETIONS_HELD,
    /** The administrator allowed the held deletions (or restarted the job). */
    DELETIONS_RELEASED,
    /**
     * Druva rejected the secret token (401). Told right before the QUARANTINE_STARTED (InvalidCredentials) it causes,
     * in the same unit of work, and only then (a job already quarantined for it tells neither again).
     */
    TOKEN_REJECTED,
    /** The secret token expires soon (Druva tokens last 365 days). */
    TOKEN_EXPIRING
}
