package dev.provisioning.events.job;

/** Where the change-detector reads the directory. */
public enum SourceType {
    /** A JSON directory file (users, groups, assignments), re-read each cycle: the embedded default. */
    DIRECTORY_FILE,
    /** Microsoft Graph. */
    MICROSOFT_GRAPH
}
