package dev.provisioning.writer.scim.client;

import dev.provisioning.writer.retry.FailureKind;

/**
 * The final answer to a {@link ScimCall}, after retries.
 *
 * @param status the HTTP status, or 0 when the target never answered
 * @param body the response body (may be empty)
 * @param kind what the answer means
 * @param attempts how many times the request was sent
 * @param problem for a failure, what went wrong in a sentence (the SCIM error detail, or the transport error)
 */
public record ScimAnswer(int status, String body, FailureKind kind, int attempts, String problem) {

    public boolean ok() {
        return kind == FailureKind.NONE;
    }
}
