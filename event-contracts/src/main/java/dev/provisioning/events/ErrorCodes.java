package dev.provisioning.events;

/** Entra's error and skip reason codes, as they appear in provisioning logs. */
public final class ErrorCodes {

    /** A mandatory target attribute (Druva: email) has no value; nothing is sent. */
    public static final String MANDATORY_FIELDS_MISSING = "MandatoryFieldsMissing";
    /** The user's only assignment is Default Access, or it has none. */
    public static final String NOT_EFFECTIVELY_ENTITLED = "NotEffectivelyEntitled";
    /** The user is disabled in the source and not yet in the target: never created. */
    public static final String SOURCE_DISABLED = "SourceObjectDisabled";
    /** The object is outside the scoping filters. */
    public static final String OUT_OF_SCOPE = "OutOfScope";
    /** The object is not (or no longer) managed in the target: nothing to disable or delete. */
    public static final String NOT_MANAGED = "TargetObjectNotManaged";
    /** The target action is switched off for the job (target object actions). */
    public static final String ACTION_DISABLED = "ActionDisabledByJob";
    /** The target already has an object with that unique value. */
    public static final String ENTRY_CONFLICT = "EntryConflict";
    /** More than one target object matched. */
    public static final String DUPLICATE_TARGET_ENTRIES = "DuplicateTargetEntries";
    /** A cached target id no longer exists in the target. */
    public static final String INVALID_ANCHOR = "InvalidAnchor";
    /** The target throttled and retries ran out. */
    public static final String TOO_MANY_REQUESTS = "TooManyRequests";
    /** The target rejected the credentials (401). */
    public static final String INVALID_CREDENTIALS = "InvalidCredentials";
    /** The target answered with an unexpected status. */
    public static final String TARGET_ERROR = "SystemForCrossDomainIdentityManagementServiceIncompatible";
    /** The target could not be reached or answered 5xx until retries ran out. */
    public static final String TARGET_UNAVAILABLE = "TargetUnavailable";
    /** The job configuration was not known or could not be used. */
    public static final String JOB_CONFIGURATION = "JobConfigurationInvalid";

    private ErrorCodes() {
    }
}
