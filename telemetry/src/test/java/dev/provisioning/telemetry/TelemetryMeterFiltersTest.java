package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
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

    /**
     * A pool connection opened before Quarkus applied the filters (the notifier's Hibernate Reactive version check at
     * start-up): its gauges are removed when the filter is applied, so the next connection's are denied, not found
     * already registered (Micrometer's WARN), and no gauge reads that first connection only.
     */
    @Test
    void gaugesOfAConnectionOpenedBeforeTheFilterAppliedAreRemovedAndLaterOnesDenied() {
        MeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger early = new AtomicInteger(7);
        Gauge.builder("postgresql.queue.size", early, AtomicInteger::get).tags(SQL_CLIENT).register(registry);
        Counter.builder("postgresql.completed").tags(SQL_CLIENT).register(registry).increment();
        Gauge.builder("jvm.threads.live", () -> 12).register(registry);

        MeterFilter filter = TelemetryMeterFilters.denySqlConnectionGauges();
        assertThat(TelemetryMeterFilters.removeDenied(registry, filter)).isEqualTo(1);
        registry.config().meterFilter(filter);
        Gauge.builder("postgresql.queue.size", new AtomicInteger(), AtomicInteger::get).tags(SQL_CLIENT)
                .register(registry);

        assertThat(registry.find("postgresql.queue.size").gauges()).isEmpty();
        assertThat(registry.get("postgresql.completed").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("jvm.threads.live").gauge().value()).isEqualTo(12.0);
    }
}
