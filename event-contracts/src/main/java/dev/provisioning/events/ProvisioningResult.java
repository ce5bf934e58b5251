package dev.provisioning.events;

import java.time.Instant;
import java.util.List;

/**
 * The outcome of one object in one cycle: exactly one per assignment event, from the mapper (Skipped, or a Failure
 * it found) or the scim-writer (the result of the SCIM requests). Topic {@link Topics#RESULTS}, key
 * {@link EventKeys#of(String, String) jobId/objectId}. Its identity is (job, object, cycle, source event), so a
 * redelivered result is recognised.
 *
 * @param schemaVersion {@link #SCHEMA_VERSION}
 * @param resultId {@code jobId/objectId/cycleId/eventId}: identical for the same outcome reported twice
 * @param jobId the provisioning job
 * @param cycleId the cycle
 * @param eventId the assignment event this answers
 * @param objectType user or group
 * @param objectId the source object id
 * @param targetId the Druva id, when known
 * @param displayName for logs and emails
 * @param action Create, Update, Disable, Delete, StagedDelete or Other
 * @param status Success, Failure, Skipped or Warning
 * @param errorCode Entra's error or skip reason code ({@code MandatoryFieldsMissing}, {@code NotEffectivelyEntitled},
 *        ...); null on success
 * @param reason a sentence an administrator can act on; null on success
 * @param httpStatus the last HTTP status from Druva, when a request was sent
 * @param attempts how many times the last request was sent
 * @param durationMillis time spent on the object
 * @param modifiedProperties what changed on the target (old and new values)
 * @param reportedBy {@code mapper-service} or {@code scim-writer}
 * @param occurredAt when the outcome was decided
 */
public record ProvisioningResult(
        int schemaVersion,
        String resultId,
        String jobId,
        String cycleId,
        String eventId,
        ObjectType objectType,
        String objectId,
        String targetId,
        String displayName,
        ProvisioningAction action,
        ProvisioningStatus status,
        String errorCode,
        String reason,
        Integer httpStatus,
        int attempts,
        long durationMillis,
        List<ModifiedProperty> modifiedProperties,
        String reportedBy,
        Instant occurredAt) {

    public static final int SCHEMA_VERSION = 1;

    public ProvisioningResult {
        modifiedProperties = modifiedProperties == null ? List.of() : List.copyOf(modifiedProperties);
    }

    /** The identity of a result: one per object, cycle and assignment event. */
    public static String idOf(String jobId, String objectId, String cycleId, String eventId) {
        return jobId + "/" + objectId + "/" + cycleId + "/" + eventId;
    }

    /** The Kafka key of this result. */
    public String key() {
        return EventKeys.of(jobId, objectId);
    }
}
