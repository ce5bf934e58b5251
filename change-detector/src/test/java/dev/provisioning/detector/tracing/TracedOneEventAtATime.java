package dev.provisioning.detector.tracing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Tracing on, spans exported as each ends, to memory only (no OTLP exporter), and one assignment event sent at a time
 * ({@code detector.emit-concurrency} {@value #EMIT_CONCURRENCY}, as in the end-to-end tests). The one test profile of
 * the module's tests: TracingTest needs the first, DeletedJobCycleStopsTest the second, and neither minds the other, so
 * they share one restart of the application instead of two.
 */
public class TracedOneEventAtATime implements QuarkusTestProfile {

    /** Assignment events sent to Kafka concurrently while a cycle emits. */
    public static final int EMIT_CONCURRENCY = 1;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("quarkus.otel.sdk.disabled", "false", "quarkus.otel.simple", "true",
                "quarkus.otel.exporter.otlp.enabled", "false", "detector.emit-concurrency",
                String.valueOf(EMIT_CONCURRENCY));
    }
}
