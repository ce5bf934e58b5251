package dev.provisioning.events;

/** Entra's error and skip reason codes, as they appear in provisioning logs. */
public final class ErrorCodes {

    /** A mandatory target attribute (Druva: email) has no value; nothing is sent. */
    public static final String MANDATORY_FIELDS_MISSING = "MandatoryFieldsMissing";
    /**
     * The object is not effectively entitled: it is not assigned, its only assignment is Default Access, or (a user)
     * it is disabled in the source ({@code IsActive} False). Entra logs all three with this skip reason: "If users
     * were skipped with the SkipReason code of NotEffectivelyEntitled, this may indicate that the user accounts in
     * Microsoft Entra ID were not matched because the user account status was Disabled"
     * (identity-governance-applications-existing-users.md; provision-on-demand.md lists IsActive and "Assigned to
     * application" among the scoping step's details).
     */
    public static final String NOT_EFFECTIVELY_ENTITLED = "NotEffectivelyEntitled";
    /**
     * Not one of Entra's codes: versions before 2026-12-05 gave it to a disabled user. It is no longer emitted;
     * operations queued by those versions may still carry it, and are logged as {@link #NOT_EFFECTIVELY_ENTITLED} is.
     */
    @Deprecated
    public static final String SOURCE_DISABLED = "SourceObjectDisabled";
    /**
     * Source and target already match, so nothing was sent: Entra's skip reason for an unchanged object (Microsoft
     * Graph's synchronizationJob provisionOnDemand example: action Other, result Skipped, errorCode RedundantExport,
     * "The state of the user in both the source and target systems already match.").
     */
    public static final String REDUNDANT_EXPORT = "RedundantExport";
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
