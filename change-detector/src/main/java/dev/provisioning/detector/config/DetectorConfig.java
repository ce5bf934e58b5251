package dev.provisioning.detector.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The change-detector's configuration, under {@code detector.*}. */
@ConfigMapping(prefix = "detector")
public interface DetectorConfig {

    /** How often each replica looks for jobs whose cycle is due. Default {@code 2s}. */
    @WithDefault("2s")
    Duration schedulerTick();

    /** Assignment events sent to Kafka concurrently while a cycle emits (each awaits the broker's ack). Default 256. */
    @WithDefault("256")
    int emitConcurrency();

    /**
     * A cycle claimed longer ago than this, by a replica that has since died, is claimed again. Must exceed the time it
     * takes to emit one cycle. Default {@code 15m}.
     */
    @WithDefault("15m")
    Duration cycleLease();

    /** How long to wait before retrying a cycle whose source could not be read. Default {@code 1m}. */
    @WithDefault("1m")
    Duration sourceErrorRetry();

    /** Base URL of the scim-writer, for test connection and provision on demand. Default {@code http://localhost:8083}. */
    @WithDefault("http://localhost:8083")
    String writerUrl();

    /** How long a call to the scim-writer may take. Default {@code 30s}. */
    @WithDefault("30s")
    Duration writerTimeout();

    /** Provisioning log records and finished cycles older than this are purged. Default {@code 30d}. */
    @WithDefault("30d")
    Duration logRetention();

    /** While a job is quarantined, its cycles run at most this often (Entra: once a day). Default {@code 24h}. */
    @WithDefault("24h")
    Duration quarantineInterval();

    /**
     * Offsets, from entering quarantine, of a quarantined job's first cycles, increasing; after the last of them the
     * cycles run every {@code quarantine-interval}. Default none: every {@code quarantine-interval} from the start.
     * Entra's schedule is {@code 6h,12h,24h}.
     */
    Optional<List<Duration>> quarantineRetries();

    /** How long a Druva secret token is valid after it is set (Druva: 365 days). Default {@code 365d}. */
    @WithDefault("365d")
    Duration tokenLifetime();

    /** How long before the token expires TOKEN_EXPIRING is published (once per token). Default {@code 30d}. */
    @WithDefault("30d")
    Duration tokenExpiryWarning();

    /** How often the outbox relay looks for job events that other replicas or failed passes left. Default {@code 1s}. */
    @WithDefault("1s")
    Duration outboxInterval();

    /** How often the log purge, the token expiry check and the metric gauges run. Default {@code 1m}. */
    @WithDefault("1m")
    Duration housekeepingInterval();
}
