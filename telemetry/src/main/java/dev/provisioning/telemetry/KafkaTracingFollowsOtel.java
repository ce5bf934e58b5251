package dev.provisioning.telemetry;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Turns SmallRye's Kafka connector tracing on and off with OpenTelemetry: a configuration source that sets
 * {@value #CONNECTOR_TRACING} to {@code true} when {@value #OTEL_SDK_DISABLED} is {@code false}, and to {@code false}
 * otherwise (the services' default: tracing off). The connector's tracing is on by default in SmallRye Reactive
 * Messaging, so with the SDK off every record still went through its instrumenters (a consumer span and a producer
 * span built and ended on a no-op tracer, the {@code traceparent} header looked up and injected through no-op
 * propagators): 2 to 8 % of each service's execution samples in the 30,000-user benchmark (issue 13). One switch,
 * {@code QUARKUS_OTEL_SDK_DISABLED=false}, still turns all of tracing on, the Kafka records' {@code traceparent}
 * headers included (deploy/README.md, Tracing; {@code TracingEndToEndIT}).
 * <p>
 * Its ordinal ({@value #ORDINAL}) is below {@code application.properties} (250) and the environment (300): a value set
 * there, for the connector ({@value #CONNECTOR_TRACING}) or for one channel
 * ({@code mp.messaging.incoming|outgoing.<channel>.tracing-enabled}), wins. Registered in
 * {@code META-INF/services/io.smallrye.config.ConfigSourceFactory}; Quarkus runs it with the runtime configuration.
 */
public class KafkaTracingFollowsOtel implements ConfigSourceFactory {

    /** The Kafka connector's tracing switch, for every channel of the connector (SmallRye default {@code true}). */
    public static final String CONNECTOR_TRACING = "mp.messaging.connector.smallrye-kafka.tracing-enabled";

    /** Quarkus' OpenTelemetry SDK switch ({@code true} in every service's application.properties). */
    public static final String OTEL_SDK_DISABLED = "quarkus.otel.sdk.disabled";

    /** Below application.properties (250): an explicit setting wins. */
    static final int ORDINAL = 200;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue disabled = context.getValue(OTEL_SDK_DISABLED);
        return List.of(new PropertiesConfigSource(
                Map.of(CONNECTOR_TRACING, String.valueOf(tracingOn(disabled == null ? null : disabled.getValue()))),
                KafkaTracingFollowsOtel.class.getSimpleName(), ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }

    /**
     * Whether the connector traces, given {@value #OTEL_SDK_DISABLED}'s value: only when it is {@code false} (any case;
     * Quarkus' default, for a service that does not set it, is {@code false} too, so absent means on).
     */
    static boolean tracingOn(String sdkDisabled) {
        return sdkDisabled == null || sdkDisabled.isBlank() || "false".equalsIgnoreCase(sdkDisabled.trim());
    }
}
