package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class TelemetryMeterFiltersTest {

    static final Tags SQL_CLIENT = Tags.of("clientName", "<default>", "clientType", "sql");

    /** What Quarkus' Vert.x binder registers for each connection of the PostgreSQL pool (VertxClientMetrics). */
    @Test
    void theSqlClientsPerConnectionGaugesAreNotRegisteredItsCountersAndOtherGaugesAre() {
        MeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(TelemetryMeterFilters.denySqlConnectionGauges());
        for (int connection = 0; connection < 2; connection++) {
            AtomicInteger queue = new AtomicInteger(connection);
            Gauge.builder("postgresql.queue.size", queue, AtomicInteger::get).tags(SQL_CLIENT).register(registry);
            Gauge.builder("postgresql.current", queue, AtomicInteger::get).tags(SQL_CLIENT).register(registry);
            Counter.builder("postgresql.completed").tags(SQL_CLIENT).register(registry).increment();
        }
        Gauge.builder("http.client.queue.size", () -> 3).tags("clientType", "http").register(registry);

        assertThat(registry.find("postgresql.queue.size").gauges()).isEmpty();
        assertThat(registry.find("postgresql.current").gauges()).isEmpty();
        assertThat(registry.get("postgresql.completed").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("http.client.queue.size").gauge().value()).isEqualTo(3.0);
    }
}
