package dev.provisioning.telemetry;

import java.util.List;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;

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
     *
     * <p>
     * A filter applies to the meters registered after it only, and a connection can be opened before Quarkus applies
     * its filters: the notifier's Hibernate Reactive checks the database's version at start-up (Quarkus'
     * {@code quarkus.hibernate-orm.database.version-check.enabled}, on by default) on a pool connection, whose gauges
     * were then kept, and the next connection's registration still logged the WARN. Quarkus asks for this bean just
     * before it applies the filters to the global registry (the one the Vert.x binder registers in), so the meters it
     * denies that are there already are removed here ({@link #removeDenied}); the version check stays.
     */
    @Produces
    @Singleton
    MeterFilter noSqlConnectionGauges() {
        MeterFilter filter = denySqlConnectionGauges();
        int removed = removeDenied(Metrics.globalRegistry, filter);
        LOG.debugf("SQL client connection gauges registered before the meter filters applied, removed: %d", removed);
        return filter;
    }

    /**
     * Removes from {@code registry} the meters that {@code filter} denies: those registered before the filter was
     * applied to it, which it does not remove by itself (a later registration of the same id finds them, and a gauge's
     * logs Micrometer's "already registered" WARN).
     *
     * @return how many meters were removed
     */
    static int removeDenied(MeterRegistry registry, MeterFilter filter) {
        List<Meter> denied = registry.getMeters().stream()
                .filter(meter -> filter.accept(meter.getId()) == MeterFilterReply.DENY).toList();
        denied.forEach(registry::remove);
        return denied.size();
    }

    /** The filter of {@link #noSqlConnectionGauges()}. */
    static MeterFilter denySqlConnectionGauges() {
        return MeterFilter.deny(id -> id.getType() == Meter.Type.GAUGE && "sql".equals(id.getTag("clientType")));
    }
}
