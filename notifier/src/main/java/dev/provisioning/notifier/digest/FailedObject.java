package dev.provisioning.notifier.digest;

import java.time.Instant;

/**
 * One failed object as it appears in a digest.
 *
 * @param resultId the result's identity (job/object/cycle/event)
 * @param objectId the source object id
 * @param displayName the object's display name, may be null
 * @param action Create, Update, Disable, Delete, StagedDelete or Other
 * @param errorCode Entra's error code, may be null
 * @param reason what went wrong, may be null
 * @param occurredAt when the failure was decided, may be null
 */
public record FailedObject(
        String resultId,
        String objectId,
        String displayName,
        String action,
        String errorCode,
        String reason,
        Instant occurredAt) {

    /** The error code, or {@link Digest#UNKNOWN_CODE} when the result carried none. */
    public String code() {
        return errorCode == null || errorCode.isBlank() ? Digest.UNKNOWN_CODE : errorCode;
    }

    /** The display name, or the object id when there is none. */
    public String name() {
        return displayName == null || displayName.isBlank() ? objectId : displayName;
    }
}
