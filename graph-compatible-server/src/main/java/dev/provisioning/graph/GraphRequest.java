package dev.provisioning.graph;

import java.time.Instant;

/**
 * One request as the server received it, with the status it answered. Neither bodies nor headers are kept: they hold
 * client secrets and bearer tokens.
 *
 * @param method the HTTP method
 * @param path the request path, e.g. {@code /v1.0/users/delta}
 * @param query the decoded query string, or null when there was none
 * @param status the HTTP status answered
 * @param timestamp when the request arrived
 */
public record GraphRequest(String method, String path, String query, int status, Instant timestamp) {
}
