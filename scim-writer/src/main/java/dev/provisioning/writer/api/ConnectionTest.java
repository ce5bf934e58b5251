package dev.provisioning.writer.api;

import java.net.URI;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.Json;
import dev.provisioning.writer.retry.FailureKind;
import dev.provisioning.writer.scim.UserRequests;
import dev.provisioning.writer.scim.client.ScimAnswer;
import dev.provisioning.writer.scim.client.ScimCall;

/**
 * Entra's test connection: {@code GET /Users?filter=userName eq "<random GUID>"} must answer 200 with an empty
 * ListResponse. Plain Java: the request and the reading of the answer.
 */
public final class ConnectionTest {

    private ConnectionTest() {
    }

    /** The answer to the administrator. */
    public record Result(boolean success, int httpStatus, String errorCode, String message) {
    }

    /** The test request, with a fresh random user name that cannot exist. */
    public static ScimCall request() {
        String guid = UUID.randomUUID().toString();
        return new ScimCall("connection-test", "GET", "/Users?filter=userName eq \"{guid}\"",
                UserRequests.matchUri("userName", guid), null);
    }

    /** Checks the tenant URL before anything is sent. */
    public static Result checkUrl(String tenantUrl) {
        try {
            URI uri = URI.create(tenantUrl);
            if (uri.isAbsolute() && uri.getHost() != null
                    && ("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
                return null;
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        return new Result(false, 0, ErrorCodes.TARGET_ERROR,
                "the tenant URL must be an absolute https URL such as https://apis.druva.com/insync/scim");
    }

    /** Reads the answer as Entra does: 200 and an empty list is a success; anything else says what is wrong. */
    public static Result read(ScimAnswer answer, String tenantUrl) {
        if (answer.status() == 0) {
            return new Result(false, 0, ErrorCodes.TARGET_UNAVAILABLE,
                    "could not reach " + tenantUrl + ": " + answer.problem()
                            + " (check the tenant URL, DNS, the network path and the server's TLS certificate)");
        }
        if (answer.kind() == FailureKind.UNAUTHORIZED) {
            return new Result(false, 401, ErrorCodes.INVALID_CREDENTIALS,
                    "Druva rejected the secret token (401): generate a new token in Druva (Manage > Deployments > Users"
                            + " > Settings) and save it in the job");
        }
        if (answer.status() != 200) {
            return new Result(false, answer.status(), answer.kind().errorCode() == null
                    ? ErrorCodes.TARGET_ERROR
                    : answer.kind().errorCode(),
                    "the SCIM endpoint answered HTTP " + answer.status()
                            + (answer.problem() == null ? "" : ": " + answer.problem()));
        }
        try {
            JsonNode body = Json.mapper().readTree(answer.body());
            if (body == null || !body.has("totalResults")) {
                return new Result(false, 200, ErrorCodes.TARGET_ERROR,
                        "the tenant URL answered 200 but not with a SCIM ListResponse: is it the SCIM base URL?");
            }
            if (body.get("totalResults").asInt() != 0) {
                return new Result(false, 200, ErrorCodes.TARGET_ERROR,
                        "a filter on a random user name matched users: the endpoint does not filter as SCIM requires");
            }
        } catch (Exception e) {
            return new Result(false, 200, ErrorCodes.TARGET_ERROR,
                    "the tenant URL answered 200 but not with JSON: is it the SCIM base URL?");
        }
        return new Result(true, 200, null, "the connection to " + tenantUrl + " works");
    }
}
