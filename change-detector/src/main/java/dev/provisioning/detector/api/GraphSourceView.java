package dev.provisioning.detector.api;

import dev.provisioning.events.job.GraphSource;

/**
 * A job's Graph settings as the API returns them: the client secret is never returned, not even encrypted; only
 * whether one is set.
 */
public record GraphSourceView(String tenantId, String clientId, boolean clientSecretSet, String servicePrincipalId,
        String authorityUrl, String graphUrl) {

    public static GraphSourceView of(GraphSource graph) {
        return graph == null
                ? null
                : new GraphSourceView(graph.tenantId(), graph.clientId(), graph.clientSecret() != null,
                        graph.servicePrincipalId(), graph.authorityUrl(), graph.graphUrl());
    }
}
