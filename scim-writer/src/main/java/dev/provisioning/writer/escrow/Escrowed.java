package dev.provisioning.writer.escrow;

import java.time.Instant;

/**
 * One escrowed object (table {@code escrow}): the operation that keeps failing and when it is tried next.
 *
 * @param id {@code jobId/objectType/objectId}
 * @param retries scheduled retries already made
 */
public record Escrowed(String id, String jobId, String objectId, String operationId, String operationJson,
        int retries, Instant firstFailedAt, Instant nextAttemptAt, String lastErrorCode, String lastError) {

    public static String idOf(String jobId, String objectType, String objectId) {
        return jobId + "/" + objectType + "/" + objectId;
    }
}
