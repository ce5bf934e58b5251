package dev.provisioning.events.job;

/** Entra's "Provisioning Status" and what the job is doing. */
public enum JobState {
    /** Provisioning status On: cycles run on the job's interval. */
    ACTIVE,
    /** Provisioning status Off: the running cycle finishes, no new cycle starts. */
    PAUSED,
    /** Quarantined: cycles run once a day until a success, Start or Restart lifts it. */
    QUARANTINED
}
