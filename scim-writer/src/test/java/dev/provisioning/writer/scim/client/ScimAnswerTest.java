package dev.provisioning.writer.scim.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.provisioning.writer.retry.FailureKind;

class ScimAnswerTest {

    private static ScimAnswer ok(String body) {
        return new ScimAnswer(201, body, FailureKind.NONE, 1, null);
    }

    @Test
    void aResourceWithNamesBeyondAsciiReadsAsDruvaWroteIt() {
        var resource = ok("{\"id\":\"u-1\",\"displayName\":\"Zoë Ångström 山田\",\"name\":{\"familyName\":\"Øre\"}}")
                .json();

        assertThat(resource.path("id").asText()).isEqualTo("u-1");
        assertThat(resource.path("displayName").asText()).isEqualTo("Zoë Ångström 山田");
        assertThat(resource.path("name").path("familyName").asText()).isEqualTo("Øre");
    }

    @Test
    void anEmptyOrUnreadableBodyIsNoResource() {
        assertThat(ok("").json()).isNull();
        assertThat(ok("  ").json()).isNull();
        assertThat(ok(null).json()).isNull();
        assertThat(ok("<html>Bad gateway</html>").json()).isNull();
    }
}
