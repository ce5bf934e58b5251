package dev.provisioning.detector.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.job.GraphSource;
import dev.provisioning.events.job.SecretCipher;

class GraphSourceRequestTest {

    static final String GUID = "0b8e6c2a-7d4f-4a1e-9b3c-5d6e7f8a9b0c";
    final SecretCipher cipher = SecretCipher.fromBase64(SecretCipher.generateKey());

    @Test
    void everyBadFieldIsNamed() {
        GraphSourceRequest request = new GraphSourceRequest(" ", "not-a-guid", null, null, "ftp://login", "graph");

        assertThat(request.validate(true, false)).extracting(FieldError::field).containsExactlyInAnyOrder(
                "source.graph.tenantId", "source.graph.clientId", "source.graph.clientSecret",
                "source.graph.servicePrincipalId", "source.graph.authorityUrl", "source.graph.graphUrl");
    }

    @Test
    void aTenantDomainAndDefaultUrlsAreValidAndTheSecretIsOptionalOnUpdate() {
        GraphSourceRequest request = new GraphSourceRequest("contoso.onmicrosoft.com", GUID, null, GUID, null, null);

        assertThat(request.validate(false, false)).isEmpty();
        assertThat(request.validate(true, false)).extracting(FieldError::field)
                .containsExactly("source.graph.clientSecret");
    }

    @Test
    void theContractHoldsTheSecretEncryptedAndAnUpdateWithoutOneKeepsTheOldOne() {
        GraphSource created = new GraphSourceRequest(GUID, GUID, "s3cret", GUID, null, "https://graph.example/v1.0/")
                .toGraphSource(cipher, null);

        assertThat(cipher.decrypt(created.clientSecret())).isEqualTo("s3cret");
        assertThat(created.clientSecret().ciphertext()).doesNotContain("s3cret");
        assertThat(created.graphUrl()).isEqualTo("https://graph.example/v1.0");
        assertThat(created.authorityUrl()).isEqualTo(GraphSource.DEFAULT_AUTHORITY);

        GraphSource updated = new GraphSourceRequest(GUID, GUID, null, GUID, null, null).toGraphSource(cipher,
                created);
        assertThat(updated.clientSecret()).isEqualTo(created.clientSecret());
        assertThat(new GraphSourceRequest(GUID, GUID, "s3cret", GUID, null, null).toString()).doesNotContain("s3cret");
        assertThat(GraphSourceView.of(updated).clientSecretSet()).isTrue();
    }
}
