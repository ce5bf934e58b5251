package dev.provisioning.detector.writer;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.Tokens;
import io.quarkus.oidc.client.runtime.TokensHelper;
import io.smallrye.mutiny.Uni;

/**
 * The bearer token the change-detector sends to the scim-writer (app role {@code Provisioning.Service}): the fixed
 * {@code detector.writer-auth.token}, else a client-credentials token from the OIDC client {@code writer}, kept until
 * it is about to expire ({@code quarkus.oidc-client.writer.refresh-token-time-skew}) and shared by concurrent callers
 * (Quarkus' {@link TokensHelper}). The token is never logged.
 */
@ApplicationScoped
public class WriterCredentials {

    /** The name of the OIDC client ({@code quarkus.oidc-client.writer.*}). */
    public static final String CLIENT = "writer";

    private final WriterAuthConfig config;
    private final OidcClients clients;
    private final TokensHelper tokens = new TokensHelper();

    public WriterCredentials(WriterAuthConfig config, OidcClients clients) {
        this.config = config;
        this.clients = clients;
    }

    /** The value of the {@code Authorization} header for the writer. */
    public Uni<String> authorization() {
        if (config.token().isPresent() && !config.token().get().isBlank()) {
            return Uni.createFrom().item("Bearer " + config.token().get().trim());
        }
        return Uni.createFrom().deferred(() -> tokens.getTokens(clients.getClient(CLIENT)))
                .map(Tokens::getAccessToken)
                .map(token -> "Bearer " + token)
                .onFailure().transform(e -> new WriterUnavailableException(
                        "no token for the scim-writer: the OIDC client '" + CLIENT + "' failed ("
                                + e.getClass().getSimpleName() + ": " + e.getMessage() + "); configure "
                                + "quarkus.oidc-client.writer.* or detector.writer-auth.token"));
    }
}
