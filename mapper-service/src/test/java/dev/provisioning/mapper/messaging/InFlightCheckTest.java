package dev.provisioning.mapper.messaging;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/** {@code mapper.max-in-flight} must fit the output channels' {@code max-inflight-messages}, or the mapper stops. */
class InFlightCheckTest {

    private static Config config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(properties, "test", 100)).build();
    }

    @Test
    void theDefaultFitsSmallRyesDefaultOf1024() {
        assertThatCode(() -> AssignmentConsumer.checkInFlight(256, config(Map.of()))).doesNotThrowAnyException();
        assertThatCode(() -> AssignmentConsumer.checkInFlight(1024, config(Map.of()))).doesNotThrowAnyException();
    }

    @Test
    void moreThanAChannelTakesIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> AssignmentConsumer.checkInFlight(1025, config(Map.of())))
                .hasMessage("mapper.max-in-flight (1025) must not exceed "
                        + "mp.messaging.outgoing.operations.max-inflight-messages (1024)");
        assertThatThrownBy(() -> AssignmentConsumer.checkInFlight(300,
                config(Map.of("mp.messaging.outgoing.results.max-inflight-messages", "200"))))
                .hasMessage("mapper.max-in-flight (300) must not exceed "
                        + "mp.messaging.outgoing.results.max-inflight-messages (200)");
    }

    @Test
    void anUnboundedChannelTakesAnything() {
        assertThatCode(() -> AssignmentConsumer.checkInFlight(5000,
                config(Map.of("mp.messaging.outgoing.operations.max-inflight-messages", "0",
                        "mp.messaging.outgoing.results.max-inflight-messages", "0"))))
                .doesNotThrowAnyException();
    }
}
