package dev.provisioning.detector.writer;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/**
 * How the change-detector proves to the scim-writer that it is the change-detector, under {@code detector.writer-auth.*}.
 * The writer's API takes a bearer token with the app role {@code Provisioning.Service}. In production the token comes
 * from the issuer by the client credentials grant, through the Quarkus OIDC client named {@code writer}
 * ({@code quarkus.oidc-client.writer.*}: auth-server-url, client-id, credentials.secret, scopes; enabled with
 * {@code quarkus.oidc-client.writer.client-enabled=true}); the run command instead mints a token and sets it here.
 */
@ConfigMapping(prefix = "detector.writer-auth")
public interface WriterAuthConfig {

    /**
     * A fixed bearer token for the writer's API (environment {@code DETECTOR_WRITER_AUTH_TOKEN}). When absent, the
     * OIDC client {@code writer} gets one. Never logged.
     */
    Optional<String> token();
}
