package dev.provisioning.druva;

import java.time.Instant;

/**
 * One SCIM request as the server received it, with the status it answered.
 *
 * @param method the HTTP method
 * @param path the request path as received, e.g. {@code /insync/scim/Users/42}
 * @param query the decoded query string, or null when there was none
 * @param body the request body (empty string when there was none)
 * @param status the HTTP status answered; 0 while the request is still being handled
 * @param timestamp when the request arrived
 */
public record RecordedRequest(String method, String path, String query, String body, int status, Instant timestamp) {
}
