package dev.provisioning.demo;

import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
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

    /**
     * Vert.x's warning of an event loop held past {@code quarkus.vertx.max-event-loop-execute-time}
     * ({@code io.vertx.core.impl.BlockedThreadChecker}, abbreviated {@code io.ve.co.im.BlockedThreadChecker} in the
     * services' format).
     */
    static final Pattern BLOCKED_EVENT_LOOP = Pattern
            .compile("\\[io\\.ve(rtx)?\\.co(re)?\\.im(pl)?\\.BlockedThreadChecker\\]");

    /** Quarkus' line when a service is up: {@code [io.quarkus] notifier 0.1.0-SNAPSHOT on JVM ... started in 39.878s.} */
    static final Pattern STARTED = Pattern.compile("\\[io\\.quarkus\\] \\S+ .* started in \\d");

    /** Quarkus' line when a service has stopped: {@code [io.quarkus] notifier stopped in 4.160s}. */
    static final Pattern STOPPED = Pattern.compile("\\[io\\.quarkus\\] \\S+ stopped in \\d");

    /** The time of day a services' log line starts with ({@code 06:04:42.788}) and a blocked thread's time. */
    private static final Pattern TIME = Pattern.compile("^(\\d{2}:\\d{2}:\\d{2}\\.\\d{3}) ");
    private static final Pattern BLOCKED_FOR = Pattern.compile("has been blocked for (\\d+) ms");

    /**
     * How long after its {@link #STARTED} line a service still does start-up work: the first runs of its schedulers and
     * consumers load the classes of their first queries on an event loop.
     */
    static final Duration START_UP = Duration.ofSeconds(10);

    /**
     * The {@link #noisy} lines of one service's log, in order, except a {@link #BLOCKED_EVENT_LOOP} warning for a hold
     * that began while the service was starting: after a {@link #STOPPED} line (or the log's start) and at most
     * {@link #START_UP} after its {@link #STARTED} line (the warning's time minus the time it says the loop was held).
     * Starting beside eight other processes on two cores, a service loads the classes of its first database queries on
     * an event loop while the other JVMs take the CPU: CI saw the notifier's held for 6.2 s before it logged its start
     * (started in 39.9 s) and for 5.7 s from the moment it did (started in 35.8 s), both 2026-12-05, over the run
     * command's 5 s limit ({@code LocalSystem.LOCAL_TUNING}). That is the machine, not a fault of the stop or the
     * start; a hold that begins later still counts, and so does every other WARN or ERROR.
     *
     * @param lines one service's log lines, oldest first (a stack trace's lines are not WARN lines)
     * @return the lines that are faults, empty when the log is clean
     */
    static List<String> faults(List<String> lines) {
        List<String> faults = new ArrayList<>();
        boolean starting = true;
        LocalTime started = null;
        for (String line : lines) {
            if (STARTED.matcher(line).find()) {
                starting = false;
                started = time(line);
            } else if (STOPPED.matcher(line).find()) {
                starting = true;
            }
            if (noisy(line) && !(BLOCKED_EVENT_LOOP.matcher(line).find() && (starting || heldSince(line, started)))) {
                faults.add(line);
            }
        }
        return faults;
    }

    /** Whether a blocked-thread warning's hold began at most {@link #START_UP} after {@code started}. */
    private static boolean heldSince(String line, LocalTime started) {
        LocalTime logged = time(line);
        Matcher held = BLOCKED_FOR.matcher(line);
        if (started == null || logged == null || !held.find()) {
            return false;
        }
        LocalTime began = logged.minus(Duration.ofMillis(Long.parseLong(held.group(1))));
        return !began.isAfter(started.plus(START_UP)) && !began.isBefore(started.minusHours(1));
    }

    private static LocalTime time(String line) {
        Matcher m = TIME.matcher(line);
        return m.find() ? LocalTime.parse(m.group(1)) : null;
    }

    private ServiceLogs() {
    }
}
