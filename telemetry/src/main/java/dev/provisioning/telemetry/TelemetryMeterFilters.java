package dev.provisioning.telemetry;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;

/** The meter filters every service applies alike (Quarkus applies every {@code MeterFilter} bean to its registries). */
@Singleton
public class TelemetryMeterFilters {

    private static final Logger LOG = Logger.getLogger(TelemetryMeterFilters.class);

    /** Kafka client meters: the few kept, consumers tagged with their group ({@link KafkaClientMeters}). */
    @Produces
    @Singleton
    MeterFilter kafkaClientMeters(Config config, TelemetryConfig telemetry) {
        KafkaClientMeters filter = KafkaClientMeters.of(config, telemetry.kafkaMeters());
        LOG.debugf("Kafka consumer groups by client id, for the consumer_group tag: %s", filter.groups());
        return filter;
    }

    /**
     * No gauges of the reactive SQL client's connections ({@code postgresql.queue.size} and {@code postgresql.current},
     * tag {@code clientType=sql}). Vert.x's PostgreSQL client creates its client metrics per connection
     * ({@code PgConnectionFactory.newSocketConnection}) and Quarkus' Vert.x binder registers those two gauges under one
     * name and the same tags for each, so the pool's second connection made Micrometer log at every start "This Gauge
     * has been already registered (MeterId{name='postgresql.queue.size', ...})" (WARN; the detector, the writer and the
     * notifier), and the series that stayed read the first connection only, whether or not it was still open: a
     * misleading figure. The client's timers and counters ({@code postgresql.processing}, {@code .queue.delay},
     * {@code .completed}, {@code .reset}) add up over connections and stay.
     */
    @Produces
    @Singleton
    MeterFilter noSqlConnectionGauges() {
        return denySqlConnectionGauges();
    }

    /** The filter of {@link #noSqlConnectionGauges()}. */
    static MeterFilter denySqlConnectionGauges() {
        return MeterFilter.deny(id -> id.getType() == Meter.Type.GAUGE && "sql".equals(id.getTag("clientType")));
    }
}
