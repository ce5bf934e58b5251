package dev.provisioning.writer.scim.client;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;
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

    /**
     * The body as a JSON tree: null when it is empty or not JSON. Parsed from its UTF-8 bytes (Jackson's byte parser):
     * parsed from the text, each body was widened to UTF-16 and every name compared char by char, about a third of
     * the parsing's CPU samples in the writer (issue 13, twelfth round).
     */
    public JsonNode json() {
        return parse(body);
    }

    /** {@code text} as a JSON tree, parsed from its UTF-8 bytes; null when it is null, blank or not JSON. */
    public static JsonNode parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Json.mapper().readTree(text.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            return null;
        }
    }
}
