package dev.provisioning.writer.api;

import java.util.Locale;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.Json;
import dev.provisioning.events.job.SecureUrls;
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

    /**
     * Checks the tenant URL before anything is sent, by the change-detector's rule ({@link SecureUrls}): https, or
     * plain http to a loopback host when {@code writer.allow-insecure-loopback} allows it.
     *
     * @return the failed result, or null when the URL may be tested
     */
    public static Result checkUrl(String tenantUrl, boolean allowInsecureLoopback) {
        return SecureUrls.problem(tenantUrl, allowInsecureLoopback)
                .map(problem -> new Result(false, 0, ErrorCodes.TARGET_ERROR, "the tenant URL " + problem
                        + " (such as https://apis.druva.com/insync/scim)"))
                .orElse(null);
    }

    /**
     * Reads the answer as Entra does: 200 and an empty list is a success; anything else says what is wrong by its
     * class: no answer (DNS, connection refused, TLS, timeout, other network error), the token refused (401), or the
     * HTTP status with the {@code detail} of a SCIM error response, never more of the remote body.
     */
    public static Result read(ScimAnswer answer, String tenantUrl) {
        if (answer.status() == 0) {
            return new Result(false, 0, ErrorCodes.TARGET_UNAVAILABLE,
                    "could not reach " + tenantUrl + ": " + transportFailure(answer.problem()));
        }
        if (answer.kind() == FailureKind.UNAUTHORIZED) {
            return new Result(false, 401, ErrorCodes.INVALID_CREDENTIALS,
                    "Druva rejected the secret token (401): generate a new token in Druva (Manage > Deployments > Users"
                            + " > Settings) and save it in the job");
        }
        if (answer.status() == 404) {
            return new Result(false, 404, ErrorCodes.TARGET_ERROR, "the tenant URL " + tenantUrl
                    + " answered 404 (no SCIM Users endpoint under it): check that it is the SCIM base URL, ending "
                    + "with /scim (Druva's is https://apis.druva.com/insync/scim)" + detail(answer));
        }
        if (answer.status() != 200) {
            return new Result(false, answer.status(), codeOf(answer),
                    "the SCIM endpoint answered HTTP " + answer.status() + detail(answer));
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

    /**
     * The code of a refused test query: a throttle or an unavailable target by its kind; any other status is the SCIM
     * endpoint's fault ({@code SystemForCrossDomainIdentityManagementServiceIncompatible}): the kinds' codes for 404
     * and 409 name what a provisioning operation's cached id or conflict means (InvalidAnchor, EntryConflict), never a
     * query of the tenant URL.
     */
    private static String codeOf(ScimAnswer answer) {
        return answer.kind() == FailureKind.THROTTLED || answer.kind() == FailureKind.TRANSIENT
                ? answer.kind().errorCode()
                : ErrorCodes.TARGET_ERROR;
    }

    /**
     * The SCIM error's {@code detail} that the answer's problem carries after its status ({@code HTTP 403: tenant
     * disabled}), as {@code ": tenant disabled"}; empty when it carries only the status.
     */
    private static String detail(ScimAnswer answer) {
        String problem = answer.problem();
        String status = "HTTP " + answer.status();
        if (problem == null || problem.isBlank() || problem.equals(status)) {
            return "";
        }
        return ": " + (problem.startsWith(status + ": ") ? problem.substring(status.length() + 2) : problem);
    }

    /**
     * The class of a failure to get an answer, from the client's description of it ({@code ExceptionClass: message});
     * the message itself is not repeated.
     */
    static String transportFailure(String problem) {
        String p = problem == null ? "" : problem.toLowerCase(Locale.ROOT);
        if (p.contains("unknownhost") || p.contains("failed to resolve") || p.contains("dns")) {
            return "DNS: the host name does not resolve (check the tenant URL)";
        }
        if (p.contains("connection refused") || p.startsWith("connectexception")) {
            return "connection refused: nothing accepts connections at that host and port";
        }
        if (p.contains("ssl") || p.contains("tls") || p.contains("certificate") || p.contains("handshake")) {
            return "TLS: the secure connection failed (the server's certificate is not trusted, or its TLS "
                    + "settings do not match)";
        }
        if (p.contains("timeout") || p.contains("timed out")) {
            return "timeout: no answer in time (check the network path and firewalls)";
        }
        return "network error: the connection failed or closed before an answer (check the network path)";
    }
}
