package dev.provisioning.telemetry;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

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
}
