package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;

class DeadLetterHeadersTest {

    @Test
    void aDeadLetterSaysWhyAndWhereItWasRead() {
        Headers headers = DeadLetterHeaders.of("not a ProvisioningResult: missing jobId", "provisioning.results", 3,
                4711L);

        assertThat(text(headers, "dead-letter-reason")).isEqualTo("not a ProvisioningResult: missing jobId");
        assertThat(text(headers, "dead-letter-topic")).isEqualTo("provisioning.results");
        assertThat(text(headers, "dead-letter-partition")).isEqualTo("3");
        assertThat(text(headers, "dead-letter-offset")).isEqualTo("4711");
    }

    @Test
    void aMissingReasonIsWrittenAsUnknownAndAnUnknownOriginIsLeftOut() {
        Headers headers = DeadLetterHeaders.reasonOnly(null);

        assertThat(text(headers, "dead-letter-reason")).isEqualTo("unknown");
        assertThat(headers.lastHeader("dead-letter-topic")).isNull();
        assertThat(headers.toArray()).hasSize(1);
    }

    private static String text(Headers headers, String name) {
        return new String(headers.lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
