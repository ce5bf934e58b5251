package dev.provisioning.detector.source.graph;

import io.smallrye.mutiny.Uni;

/** App-only access tokens for Microsoft Graph, for one job. Non-blocking. */
interface AccessTokens {

    /**
     * A valid access token, fetched when there is none or the last one expired.
     *
     * @return the token, or a failure with a {@link dev.provisioning.detector.source.SourceException} naming the
     *         tenant and the OAuth error
     */
    Uni<String> token();

    /** A new access token, after Graph refused the current one. */
    Uni<String> renew();
}
