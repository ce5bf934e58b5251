package dev.provisioning.writer.escrow;

import java.time.Instant;

/**
 * One object whose operation waits (table {@code escrow}): what it waits in ({@link EscrowState}), the operation, and
 * when it is tried next. One row per object: a later operation for the object replaces the one waiting.
 *
 * @param id {@code jobId/objectType/objectId}
 * @param retries scheduled retries already made (ESCROWED)
 * @param firstFailedAt when the operation first failed (or was deferred)
 * @param nextAttemptAt when it is republished on {@code provisioning.operations}
 * @param state why it waits
 * @param resultId the result emitted for the operation (ESCROWED, HELD); null while DEFERRED
 * @param operationCreatedAt when the mapper made the operation: an older operation never replaces a newer one
 * @param heldToken HELD: a fingerprint of the rejected token's ciphertext ({@code SecretFingerprint})
 * @param heldRevision HELD: the job revision whose token was rejected
 * @param tenant DEFERRED: the tenant (lane) whose room releases it
 * @param partition DEFERRED: the partition of {@code provisioning.operations} its key goes to, whose holder releases
 *        it (into its lane); null when not known (released through Kafka on its key)
 */
public record Escrowed(String id, String jobId, String objectId, String operationId, String operationJson,
        int retries, Instant firstFailedAt, Instant nextAttemptAt, String lastErrorCode, String lastError,
        EscrowState state, String resultId, Instant operationCreatedAt, String heldToken, Long heldRevision,
        String tenant, Integer partition) {

    public static String idOf(String jobId, String objectType, String objectId) {
        return jobId + "/" + objectType + "/" + objectId;
    }

    /** Whether a result was already emitted for the operation (its later outcome is then a follow-up). */
    public boolean reported() {
        return state != EscrowState.DEFERRED;
    }
}
