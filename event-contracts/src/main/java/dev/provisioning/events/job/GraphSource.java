package dev.provisioning.events.job;

/**
 * How the change-detector reads Entra through Microsoft Graph (app-only, client credentials).
 *
 * @param tenantId the Entra tenant id
 * @param clientId the app registration's client id
 * @param clientSecret its client secret, encrypted
 * @param servicePrincipalId the object id of the provisioned app's service principal (its assignments are read from
 *        {@code servicePrincipals/{id}/appRoleAssignedTo})
 * @param authorityUrl the token authority, default {@code https://login.microsoftonline.com}
 * @param graphUrl Graph's base URL, default {@code https://graph.microsoft.com/v1.0}
 */
public record GraphSource(String tenantId, String clientId, EncryptedSecret clientSecret, String servicePrincipalId,
        String authorityUrl, String graphUrl) {

    public static final String DEFAULT_AUTHORITY = "https://login.microsoftonline.com";
    public static final String DEFAULT_GRAPH = "https://graph.microsoft.com/v1.0";

    public GraphSource {
        authorityUrl = authorityUrl == null || authorityUrl.isBlank() ? DEFAULT_AUTHORITY : authorityUrl;
        graphUrl = graphUrl == null || graphUrl.isBlank() ? DEFAULT_GRAPH : graphUrl;
    }
}
