package dev.provisioning.detector.api;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.GraphSource;
import dev.provisioning.events.job.SecretCipher;

/**
 * The Microsoft Graph settings of a job as an administrator sends them (what Entra's app registration shows).
 *
 * @param tenantId the Entra tenant: its id (a GUID) or a verified domain such as {@code contoso.onmicrosoft.com}
 * @param clientId the app registration's application (client) id, a GUID
 * @param clientSecret the client secret's value, in clear: required when the job is created, kept when absent on an
 *        update; write-only (never returned, never logged)
 * @param servicePrincipalId the object id of the provisioned app's service principal (Enterprise applications), a GUID
 * @param authorityUrl the token authority; default {@code https://login.microsoftonline.com}
 * @param graphUrl Graph's base URL; default {@code https://graph.microsoft.com/v1.0}
 *        <p>
 *        {@code clientSecretSet}, which a GET shows ({@link GraphSourceView}), is taken and ignored, so that a GET's
 *        body can be sent back.
 */
@JsonIgnoreProperties({"clientSecretSet"})
public record GraphSourceRequest(String tenantId, String clientId, String clientSecret, String servicePrincipalId,
        String authorityUrl, String graphUrl) {

    private static final Pattern GUID = Pattern
            .compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern DOMAIN = Pattern
            .compile("(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}");
    private static final String PREFIX = "source.graph.";

    /**
     * Every problem, each naming its field ({@code source.graph.clientId}, ...).
     *
     * @param secretRequired true when the job is created (no stored secret to keep)
     * @param allowInsecureLoopback whether plain http to a loopback host is accepted ({@code detector.allow-insecure-loopback})
     */
    public List<FieldError> validate(boolean secretRequired, boolean allowInsecureLoopback) {
        List<FieldError> errors = new ArrayList<>();
        if (blank(tenantId)) {
            errors.add(error("tenantId", "is required"));
        } else if (tenantId.length() > 253) {
            errors.add(error("tenantId", "must be at most 253 characters"));
        } else if (!GUID.matcher(tenantId.trim()).matches() && !DOMAIN.matcher(tenantId.trim()).matches()) {
            errors.add(error("tenantId", "must be the tenant id (a GUID) or a domain such as contoso.onmicrosoft.com"));
        }
        guid(errors, "clientId", clientId, "the application (client) id of the app registration");
        if (secretRequired && blank(clientSecret)) {
            errors.add(error("clientSecret", "is required"));
        }
        JobValidator.secret(errors, PREFIX + "clientSecret", clientSecret);
        guid(errors, "servicePrincipalId", servicePrincipalId,
                "the object id of the app's service principal (Enterprise applications)");
        JobValidator.url(errors, PREFIX + "authorityUrl", blank(authorityUrl) ? null : authorityUrl,
                allowInsecureLoopback);
        JobValidator.url(errors, PREFIX + "graphUrl", blank(graphUrl) ? null : graphUrl, allowInsecureLoopback);
        return errors;
    }

    /**
     * The job's Graph source with the secret encrypted; an absent secret keeps {@code previous}'s (an update).
     *
     * @param previous the stored settings, or null when the job is created
     */
    public GraphSource toGraphSource(SecretCipher cipher, GraphSource previous) {
        EncryptedSecret secret = blank(clientSecret)
                ? previous == null ? null : previous.clientSecret()
                : cipher.encrypt(clientSecret);
        return new GraphSource(tenantId.trim(), clientId.trim(), secret, servicePrincipalId.trim(),
                trimSlash(authorityUrl), trimSlash(graphUrl));
    }

    /** Hides the secret if a request is ever printed. */
    @Override
    public String toString() {
        return "GraphSourceRequest[tenantId=" + tenantId + ", clientId=" + clientId + ", clientSecret="
                + (clientSecret == null ? null : "***") + ", servicePrincipalId=" + servicePrincipalId
                + ", authorityUrl=" + authorityUrl + ", graphUrl=" + graphUrl + "]";
    }

    private static void guid(List<FieldError> errors, String field, String value, String what) {
        if (blank(value)) {
            errors.add(error(field, "is required"));
        } else if (value.length() > 64 || !GUID.matcher(value.trim()).matches()) {
            errors.add(error(field, "must be a GUID: " + what));
        }
    }

    private static String trimSlash(String url) {
        if (blank(url)) {
            return null;
        }
        String trimmed = url.trim();
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }

    private static FieldError error(String field, String message) {
        return new FieldError(PREFIX + field, message);
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
