package dev.provisioning.events.job;

/** Entra's "Apply this mapping". */
public enum ApplyMode {
    ALWAYS, ONLY_DURING_CREATION
}
