package dev.provisioning.writer.scim.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

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

    /** The HTTP client's bytes are the answer's body: read as JSON without a text copy, and as text when asked. */
    @Test
    void anAnswerOfTheBytesReceivedReadsAsTheResourceAndAsTheText() {
        String body = "{\"id\":\"u-2\",\"displayName\":\"Zoë Ångström 山田\"}";

        ScimAnswer answer = ScimAnswer.of(201, body.getBytes(StandardCharsets.UTF_8), FailureKind.NONE, 1, null);

        assertThat(answer.json().path("id").asText()).isEqualTo("u-2");
        assertThat(answer.json().path("displayName").asText()).isEqualTo("Zoë Ångström 山田");
        assertThat(answer.body()).isEqualTo(body);
        ScimAnswer none = ScimAnswer.of(204, null, FailureKind.NONE, 1, null);
        assertThat(none.json()).isNull();
        assertThat(none.body()).isEmpty();
    }

    @Test
    void anEmptyOrUnreadableBodyIsNoResource() {
        assertThat(ok("").json()).isNull();
        assertThat(ok("  ").json()).isNull();
        assertThat(ok(null).json()).isNull();
        assertThat(ok("<html>Bad gateway</html>").json()).isNull();
    }
}
