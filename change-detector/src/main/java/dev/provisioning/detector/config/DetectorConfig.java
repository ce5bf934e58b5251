package dev.provisioning.detector.config;

import java.time.Duration;

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
}
