package dev.provisioning.telemetry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts the records a consumer dead-letters (their job is deleted or never got a configuration, or the consumer's own
 * reasons, such as the scim-writer's malformed records), so that a deleted job's thousand records cost one log line
 * each way, not one per record (issue 12, (C)). Every record is still dead-lettered by the caller; this only decides
 * what is logged and counted.
 *
 * <ul>
 * <li>The first record of a run (a job and a reason with no run open) is logged at WARN with the reason and what
 * follows; the next ones of the run only at DEBUG.</li>
 * <li>Every record increments the counter {@code <counter>{provisioning_job, reason}} ({@code reason} is
 * {@link #JOB_DELETED}, {@link #JOB_NEVER_CONFIGURED}, or a reason of the consumer's own: the scim-writer's
 * {@code Malformed}, {@code dev.provisioning.writer.config.WriterMeters#MALFORMED}, for a record it cannot read).</li>
 * <li>Every {@link #CHECK_INTERVAL} ({@link #start}), a run whose count did not grow since the previous check is
 * closed with one INFO line, {@code "job X: N records dead-lettered: <reason>"}. So the summary follows the run's last
 * record after 30 to 60 s. A record of the job after that opens a new run (and a new WARN).</li>
 * </ul>
 * Memory: one entry per open run (job and reason), forgotten when the run is closed. Thread-safe: records are counted
 * on the consumers' threads, runs closed on the timer's.
 */
public final class DeadLetterTally {

    /** The {@code reason} tag of a record whose job was deleted. */
    public static final String JOB_DELETED = "JobDeleted";
    /** The {@code reason} tag of a record whose job's configuration did not arrive within the wait. */
    public static final String JOB_NEVER_CONFIGURED = "JobNeverConfigured";
    /** How often runs that stopped growing are summarized and forgotten. */
    public static final Duration CHECK_INTERVAL = Duration.ofSeconds(30);

    private final Logger log;
    private final MeterRegistry registry;
    private final String counter;
    private final String records;
    private final Map<Run, Count> runs = new ConcurrentHashMap<>();

    private record Run(String jobId, String reasonTag) {
    }

    /** Guarded by the map's per-key lock (only changed inside {@code compute}). */
    private static final class Count {
        final String reason;
        long total;
        long atLastCheck;

        Count(String reason) {
            this.reason = reason;
        }
    }

    /**
     * @param log the consumer's logger (its category stays the consumer's)
     * @param registry where the counter is registered
     * @param counter the counter's Micrometer name, e.g. {@code provisioning.mapper.records.dead.lettered}
     * @param records what a record is called in the log lines, plural, e.g. {@code "records"}, {@code "operations"}
     */
    public DeadLetterTally(Logger log, MeterRegistry registry, String counter, String records) {
        this.log = log;
        this.registry = registry;
        this.counter = counter;
        this.records = records;
    }

    /** Closes the runs that stopped growing every {@link #CHECK_INTERVAL} on {@code timer}. */
    public ScheduledFuture<?> start(ScheduledExecutorService timer) {
        long every = CHECK_INTERVAL.toMillis();
        return timer.scheduleAtFixedRate(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Counts one dead-lettered record; logs it at WARN if it opens a run, else at DEBUG.
     *
     * @param jobId the record's job
     * @param reasonTag {@link #JOB_DELETED}, {@link #JOB_NEVER_CONFIGURED} or a consumer's own reason (the
     *        scim-writer's {@code Malformed})
     * @param reason the reason as written in the record's {@code dead-letter-reason} header
     * @param objectId the record's object, for the log line
     * @return whether this record opened a run (it was logged at WARN)
     */
    public boolean deadLettered(String jobId, String reasonTag, String reason, String objectId) {
        boolean[] first = {false};
        runs.compute(new Run(jobId, reasonTag), (run, count) -> {
            Count c = count;
            if (c == null) {
                c = new Count(reason);
                first[0] = true;
            }
            c.total++;
            return c;
        });
        registry.counter(counter, MeterTags.PROVISIONING_JOB, jobId, "reason", reasonTag).increment();
        if (first[0]) {
            log.warnf("job %s, object %s: %s; it goes to the dead-letter topic, as will every later record of the job "
                    + "for this reason (counted, and summed up once they stop)", jobId, objectId, reason);
        } else {
            log.debugf("job %s, object %s: %s; dead-lettered", jobId, objectId, reason);
        }
        return first[0];
    }

    /**
     * Closes every run whose count did not grow since the previous check: logs its summary at INFO and forgets it.
     *
     * @return the summaries logged, in no particular order
     */
    public List<String> check() {
        List<String> closed = new ArrayList<>();
        for (Run key : List.copyOf(runs.keySet())) {
            runs.computeIfPresent(key, (run, count) -> {
                if (count.total == count.atLastCheck) {
                    closed.add("job " + run.jobId() + ": " + count.total + " " + records + " dead-lettered: "
                            + count.reason);
                    return null;
                }
                count.atLastCheck = count.total;
                return count;
            });
        }
        closed.forEach(log::info);
        return closed;
    }
}
