package dev.provisioning.detector.config;

import java.util.List;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.provisioning.detector.job.QuarantineSchedule;

/** The quarantine schedule from {@code detector.quarantine-retries} and {@code detector.quarantine-interval}. */
public class QuarantineScheduleProducer {

    @Produces
    @Singleton
    QuarantineSchedule quarantineSchedule(DetectorConfig config) {
        try {
            return new QuarantineSchedule(config.quarantineRetries().orElse(List.of()), config.quarantineInterval());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("detector.quarantine-retries / detector.quarantine-interval: "
                    + e.getMessage());
        }
    }
}
