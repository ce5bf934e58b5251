package dev.provisioning.events;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonCreator;

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
 * @param retryAt on a Failure the scim-writer escrowed: when it retries the operation on its own, without a new
 *        cycle (Entra's escrow, "the operation will be retried at ..."); null when nothing is retried or when the retry
 *        waits for an event rather than a time (an operation held while the job's token is rejected). Optional: absent
 *        in records written before it existed
 * @param retryOf on a later outcome of an escrowed or held operation (its retry succeeded, failed for good, or was
 *        superseded by a later change): the {@code resultId} of the result it follows. Such a result has its own id,
 *        {@link #followUpIdOf(String) followUpIdOf(retryOf)}, and the same job, object, cycle and event as the result
 *        it follows: it replaces that result as the object's outcome in that cycle, and is not a further event of the
 *        cycle. Null on a first outcome. Optional, like {@code retryAt}
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
        Instant occurredAt,
        Instant retryAt,
        String retryOf) {

    public static final int SCHEMA_VERSION = 1;

    /** The canonical constructor, named for Jackson since the record has two. */
    @JsonCreator
    public ProvisioningResult {
        modifiedProperties = modifiedProperties == null ? List.of() : List.copyOf(modifiedProperties);
    }

    /** A first outcome, not retried by the writer: {@code retryAt} and {@code retryOf} null. */
    public ProvisioningResult(int schemaVersion, String resultId, String jobId, String cycleId, String eventId,
            ObjectType objectType, String objectId, String targetId, String displayName, ProvisioningAction action,
            ProvisioningStatus status, String errorCode, String reason, Integer httpStatus, int attempts,
            long durationMillis, List<ModifiedProperty> modifiedProperties, String reportedBy, Instant occurredAt) {
        this(schemaVersion, resultId, jobId, cycleId, eventId, objectType, objectId, targetId, displayName, action,
                status, errorCode, reason, httpStatus, attempts, durationMillis, modifiedProperties, reportedBy,
                occurredAt, null, null);
    }

    /** The identity of a result: one per object, cycle and assignment event. */
    public static String idOf(String jobId, String objectId, String cycleId, String eventId) {
        return jobId + "/" + objectId + "/" + cycleId + "/" + eventId;
    }

    /**
     * The id of the later outcome of the escrowed or held operation whose first result is {@code resultId}: one per
     * operation (the writer reports only the final outcome of its retries), so a redelivered follow-up is recognised.
     */
    public static String followUpIdOf(String resultId) {
        return resultId + "/retry";
    }

    /** The Kafka key of this result. */
    public String key() {
        return EventKeys.of(jobId, objectId);
    }
}
