package dev.provisioning.mapper.tracing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Tracing on, spans exported as each ends, to memory only (no OTLP exporter). */
public class TracingOn implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("quarkus.otel.sdk.disabled", "false", "quarkus.otel.simple", "true",
                "quarkus.otel.exporter.otlp.enabled", "false");
    }
}
