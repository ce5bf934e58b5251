package dev.provisioning.detector.source.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.provisioning.events.job.GraphSource;

/**
 * The scope a Graph job's token is asked for follows its Graph URL: a national cloud's token endpoint grants only its
 * own Graph's scope (national-cloud-deployments.md), so a US Government job asking for the global cloud's scope was
 * refused at token time whatever its URLs.
 */
class GraphScopeTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "https://graph.microsoft.com/v1.0, https://graph.microsoft.com/.default",
            "https://graph.microsoft.us/v1.0, https://graph.microsoft.us/.default",
            "https://dod-graph.microsoft.us/v1.0/, https://dod-graph.microsoft.us/.default",
            "https://microsoftgraph.chinacloudapi.cn/v1.0, https://microsoftgraph.chinacloudapi.cn/.default",
            "http://127.0.0.1:37899/v1.0, http://127.0.0.1:37899/.default"})
    void theScopeIsTheGraphEndpointsOriginAndDefault(String graphUrl, String scope) {
        assertThat(OidcAccessTokens.scopeOf(graphUrl)).isEqualTo(scope);
    }

    @Test
    void aJobWithoutAGraphUrlUsesTheGlobalCloudsScope() {
        GraphSource graph = new GraphSource("t", "c", null, "sp", null, null);

        assertThat(OidcAccessTokens.scopeOf(graph.graphUrl())).isEqualTo(OidcAccessTokens.GRAPH_SCOPE);
    }

    @Test
    void aUrlWithoutHostIsRefused() {
        assertThatThrownBy(() -> OidcAccessTokens.scopeOf("graph.microsoft.us/v1.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("graph.microsoft.us/v1.0");
    }
}
