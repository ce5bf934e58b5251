package dev.provisioning.events.job;

/** Entra's "Scope" setting. */
public enum ProvisioningScope {
    /** Sync only assigned users and groups (the default). */
    ASSIGNED_ONLY,
    /** Sync all users and groups. */
    ALL
}
