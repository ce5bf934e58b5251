package dev.provisioning.detector.source.graph;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.OidcClientException;
import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.Tokens;
import io.quarkus.oidc.client.runtime.OidcClientConfig;
import io.quarkus.oidc.client.runtime.OidcClientConfig.Grant;
import io.quarkus.oidc.common.runtime.config.OidcClientCommonConfig.Credentials.Secret.Method;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.source.SourceException;

/**
 * Client-credentials tokens from the Entra token endpoint ({@code {authority}/{tenant}/oauth2/v2.0/token}) through a
 * Quarkus OIDC client made for this job at runtime, for the scope of the job's Graph endpoint ({@link #scopeOf}:
 * {@code https://graph.microsoft.com/.default} in the global cloud, {@code https://graph.microsoft.us/.default} for US
 * Government L4, {@code https://dod-graph.microsoft.us/.default} for L5, {@code
 * https://microsoftgraph.chinacloudapi.cn/.default} for 21Vianet: Microsoft Graph's national-cloud-deployments.md, "the
 * scope ... of the national cloud's Microsoft Graph endpoint"). The token is kept until it expires. Non-blocking.
 * Neither the secret nor a token is ever put in a message or a log line.
 */
final class OidcAccessTokens implements AccessTokens, AutoCloseable {

    /** The global cloud's scope: what {@link #scopeOf} gives for the default Graph URL. */
    static final String GRAPH_SCOPE = "https://graph.microsoft.com/.default";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern OAUTH_ERROR = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern OAUTH_DESCRIPTION = Pattern.compile("\"error_description\"\\s*:\\s*\"([^\"]*)\"");

    private final OidcClients clients;
    private final String clientName;
    private final String tenantId;
    private final String authorityUrl;
    private final String clientId;
    private final String clientSecret;
    private final String scope;
    private volatile OidcClient client;
    private volatile Tokens tokens;

    /**
     * @param graphUrl the job's Graph base URL ({@code https://graph.microsoft.us/v1.0}): its origin gives the scope
     */
    OidcAccessTokens(OidcClients clients, String clientName, String tenantId, String authorityUrl, String clientId,
            String clientSecret, String graphUrl) {
        this.clients = clients;
        this.clientName = clientName;
        this.tenantId = tenantId;
        this.authorityUrl = authorityUrl.endsWith("/")
                ? authorityUrl.substring(0, authorityUrl.length() - 1)
                : authorityUrl;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.scope = scopeOf(graphUrl);
    }

    /**
     * The {@code .default} scope of a Graph endpoint: its origin (scheme, host and any port) followed by
     * {@code /.default}; {@code https://graph.microsoft.us/v1.0} gives {@code https://graph.microsoft.us/.default}.
     *
     * @throws IllegalArgumentException when the URL has no scheme or host (job validation refuses such a URL first)
     */
    static String scopeOf(String graphUrl) {
        java.net.URI uri = java.net.URI.create(graphUrl);
        if (uri.getScheme() == null || uri.getHost() == null) {
            throw new IllegalArgumentException("not an absolute URL: " + graphUrl);
        }
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + "/.default";
    }

    @Override
    public Uni<String> token() {
        Tokens current = tokens;
        if (current != null && !current.isAccessTokenExpired()) {
            return Uni.createFrom().item(current.getAccessToken());
        }
        return fetch();
    }

    @Override
    public Uni<String> renew() {
        return fetch();
    }

    private Uni<String> fetch() {
        return client().chain(OidcClient::getTokens).ifNoItem().after(TIMEOUT).fail()
                .invoke(fetched -> tokens = fetched).map(Tokens::getAccessToken)
                .onFailure().transform(e -> e instanceof OidcClientException
                        ? new SourceException(describe(e.getMessage()), e)
                        : new SourceException("cannot get a Microsoft Graph token for tenant " + tenantId + " from "
                                + authorityUrl + ": " + e.getClass().getSimpleName() + ": " + e.getMessage(), e));
    }

    private Uni<OidcClient> client() {
        OidcClient current = client;
        if (current != null) {
            return Uni.createFrom().item(current);
        }
        return clients.newClient(OidcClientConfig.builder()
                .id(clientName)
                .authServerUrl(authorityUrl + "/" + tenantId)
                .discoveryEnabled(false)
                .tokenPath("oauth2/v2.0/token")
                .clientId(clientId)
                .credentials().clientSecret(clientSecret, Method.POST).end()
                .grant(Grant.Type.CLIENT)
                .scopes(scope)
                .build())
                .invoke(made -> client = made);
    }

    /** "invalid_client: AADSTS7000215: Invalid client secret provided..." from Entra's error body. */
    private String describe(String failure) {
        String message = failure == null ? "" : failure;
        Matcher error = OAUTH_ERROR.matcher(message);
        Matcher description = OAUTH_DESCRIPTION.matcher(message);
        String reason = error.find()
                ? error.group(1) + (description.find() ? ": " + description.group(1) : "")
                : message;
        return "tenant " + tenantId + " refused the app's client credentials (client id " + clientId + ", "
                + authorityUrl + "): " + reason;
    }

    @Override
    public void close() {
        if (client != null) {
            try {
                client.close();
            } catch (java.io.IOException | RuntimeException e) {
                // a client that cannot close holds nothing we need
            }
            client = null;
        }
    }
}
