package dev.provisioning.demo;

import java.util.regex.Pattern;

/** What the end-to-end tests look for in the services' logs ({@code <service>.log} of a {@link LocalSystem}). */
final class ServiceLogs {

    /**
     * A log line at level WARN or ERROR (the services' format: {@code 21:49:53.480 WARN  [category] message}). Before,
     * a clean stop logged ERROR lines (the notifier's digest commit, a claim of due cycles) once PostgreSQL went first,
     * then the detector's results consumer retried against the closed pool ("judging 1 results failed (attempt 1),
     * retried: Pool closed") and SmallRye warned of its unacked poll (SRMSG18245); the notifier logged Micrometer's
     * "This Gauge has been already registered" at every start (telemetry's {@code TelemetryMeterFilters}).
     */
    static final Pattern WARN_OR_ERROR = Pattern.compile("^\\S+ (WARN|ERROR) ");

    /**
     * A WARN or ERROR line ({@link #WARN_OR_ERROR}). SmallRye's periodic offset commit interrupted by its own close of
     * a channel ({@code SRMSG18252 ... WakeupException}, once in the mapper-service in CI, 2026-12-04) is one too:
     * every service now waits at its stop until that commit has nothing left to commit ({@code CommitsSettled}).
     */
    static boolean noisy(String line) {
        return WARN_OR_ERROR.matcher(line).find();
    }

    private ServiceLogs() {
    }
}
