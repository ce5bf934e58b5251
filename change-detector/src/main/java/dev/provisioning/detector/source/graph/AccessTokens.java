package dev.provisioning.detector.source.graph;

/** App-only access tokens for Microsoft Graph, for one job. Blocking. */
interface AccessTokens {

    /**
     * A valid access token, fetched when there is none or the last one expired.
     *
     * @throws dev.provisioning.detector.source.SourceException naming the tenant and the OAuth error
     */
    String token();

    /** A new access token, after Graph refused the current one. */
    String renew();
}
