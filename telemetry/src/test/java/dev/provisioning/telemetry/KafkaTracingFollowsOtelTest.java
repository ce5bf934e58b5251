package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

class KafkaTracingFollowsOtelTest {

    @Test
    void theConnectorTracesOnlyWhenTheOtelSdkIsOn() {
        assertThat(connectorTracing(Map.of(KafkaTracingFollowsOtel.OTEL_SDK_DISABLED, "true"))).isFalse();
        assertThat(connectorTracing(Map.of(KafkaTracingFollowsOtel.OTEL_SDK_DISABLED, "false"))).isTrue();
        assertThat(connectorTracing(Map.of(KafkaTracingFollowsOtel.OTEL_SDK_DISABLED, "FALSE"))).isTrue();
        assertThat(connectorTracing(Map.of())).as("Quarkus' own default: the SDK on").isTrue();
    }

    @Test
    void anExplicitSettingOfTheConnectorWins() {
        assertThat(connectorTracing(Map.of(KafkaTracingFollowsOtel.OTEL_SDK_DISABLED, "true",
                KafkaTracingFollowsOtel.CONNECTOR_TRACING, "true"))).isTrue();
        assertThat(connectorTracing(Map.of(KafkaTracingFollowsOtel.OTEL_SDK_DISABLED, "false",
                KafkaTracingFollowsOtel.CONNECTOR_TRACING, "false"))).isFalse();
    }

    /** The connector's switch with {@code properties} at application.properties' ordinal and the factory. */
    private static boolean connectorTracing(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "application.properties", 250))
                .withSources(new KafkaTracingFollowsOtel()).build();
        return config.getValue(KafkaTracingFollowsOtel.CONNECTOR_TRACING, Boolean.class);
    }
}
