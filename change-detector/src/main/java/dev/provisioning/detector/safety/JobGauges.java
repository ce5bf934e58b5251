package dev.provisioning.detector.safety;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.config.DetectorStop;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.job.Quarantine;
import dev.provisioning.detector.job.QuarantineReason;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.StagedDeletionRepository;
import dev.provisioning.detector.persistence.UnreadableJob;
import dev.provisioning.events.job.JobState;
import dev.provisioning.telemetry.ScheduledRounds;

/**
 * The per-job gauges of deploy/METRICS.md that describe a job's state rather than count events: its name, whether it
 * is on, the progress of its latest cycle, when a cycle last completed, its cycle interval, quarantine, held deletions
 * and token expiry. They are read from the database every {@code detector.housekeeping-interval}, so every replica
 * reports the same values (dashboards aggregate them with {@code max}). The job's counters that alerts compute an
 * {@code increase} of ({@code provisioning.detector.cycles.failed}) are registered at 0 here, so the first failure is
 * an increase rather than a new series. A deleted job's meters, counters included, are removed.
 */
@ApplicationScoped
public class JobGauges {

    private static final Logger LOG = Logger.getLogger(JobGauges.class);

    private final JobStore jobs;
    private final CycleRepository cycles;
    private final StagedDeletionRepository staged;
    private final DetectorConfig config;
    private final MeterRegistry registry;
    private final Map<String, JobValues> byJob = new ConcurrentHashMap<>();

    private final DetectorStop stop;
    private final ScheduledRounds rounds = new ScheduledRounds();

    public JobGauges(JobStore jobs, CycleRepository cycles, StagedDeletionRepository staged, DetectorConfig config,
            MeterRegistry registry, DetectorStop stop) {
        this.stop = stop;
        this.jobs = jobs;
        this.cycles = cycles;
        this.staged = staged;
        this.config = config;
        this.registry = registry;
    }

    @Scheduled(every = "${detector.housekeeping-interval:1m}", delayed = "3s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> scheduled() {
        return rounds.run(() -> refresh().ifNoItem().after(Housekeeping.RUN_WAIT).failWith(() -> new TimeoutException(
                "no answer from the database in " + Housekeeping.RUN_WAIT.toSeconds() + " s"))
                .onFailure().recoverWithUni(e -> {
                    LOG.logf(rounds.failureLevel(Logger.Level.ERROR), "the job gauges could not be read (tried again "
                            + "in %s): %s", config.housekeepingInterval(), e);
                    return Uni.createFrom().voidItem();
                }));
    }

    /** The detector stops ({@link DetectorStop}): no reading starts, the one under way is waited for. */
    void stop(@Observes @Priority(DetectorStop.CYCLES) ShutdownEvent event) {
        rounds.stop(stop.left());
    }

    /**
     * Reads every job's gauges from the database. A job whose stored row cannot be read (counted in
     * {@code provisioning.detector.jobs.unreadable}) keeps the series it had, at their last values, and never keeps the
     * other jobs' gauges from being read: it still exists, so its series are not removed as a deleted job's are.
     */
    public Uni<Void> refresh() {
        return jobs.list().chain(all -> staged.countsByJob().chain(held -> cycles.latestOfEachJob()
                .chain(latest -> cycles.lastFinishedOfEachJob().invoke(finished -> {
                    for (ProvisioningJob job : all.readable()) {
                        values(job).set(job, held.getOrDefault(job.id(), 0L), latest.get(job.id()),
                                finished.get(job.id()));
                    }
                    Set<String> present = Stream.concat(all.readable().stream().map(ProvisioningJob::id),
                            all.unreadable().stream().map(UnreadableJob::id)).collect(Collectors.toSet());
                    List.copyOf(byJob.keySet()).stream().filter(id -> !present.contains(id)).forEach(this::remove);
                })))).replaceWithVoid();
    }

    private JobValues values(ProvisioningJob job) {
        JobValues values = byJob.computeIfAbsent(job.id(), JobValues::new);
        values.register(job);
        return values;
    }

    /** The job was deleted: none of its series is reported any more. */
    private void remove(String jobId) {
        byJob.remove(jobId);
        List<Meter> meters = registry.getMeters().stream()
                .filter(m -> jobId.equals(m.getId().getTag(PROVISIONING_JOB))).toList();
        meters.forEach(registry::remove);
    }

    /** One job's current values, which its gauges read. */
    private final class JobValues {

        private final String jobId;
        private volatile double enabled;
        private volatile double progress;
        private volatile double lastCompleted;
        private volatile double interval;
        private volatile double held;
        private volatile double tokenExpiry = Double.NaN;
        private final Map<QuarantineReason, Double> quarantined = new EnumMap<>(QuarantineReason.class);
        private Gauge info;
        private Gauge token;

        JobValues(String jobId) {
            this.jobId = jobId;
            gauge(DetectorMeters.JOB_ENABLED, null, v -> v.enabled);
            gauge(DetectorMeters.CYCLE_PROGRESS, "percent", v -> v.progress);
            gauge(DetectorMeters.LAST_CYCLE_COMPLETED, "seconds", v -> v.lastCompleted);
            gauge(DetectorMeters.CYCLE_INTERVAL, "seconds", v -> v.interval);
            gauge(DetectorMeters.DELETIONS_HELD, null, v -> v.held);
            for (QuarantineReason reason : QuarantineReason.values()) {
                quarantined.put(reason, 0.0);
                Gauge.builder(DetectorMeters.QUARANTINED, this, v -> v.quarantined.get(reason))
                        .tag(PROVISIONING_JOB, jobId).tag("reason", reason.name()).register(registry);
            }
            Counter.builder(DetectorMeters.CYCLES_FAILED).tag(PROVISIONING_JOB, jobId).register(registry);
        }

        /** The gauges whose tags follow the job: its display name, and the token expiry only while one is set. */
        synchronized void register(ProvisioningJob job) {
            String name = job.config().name() == null ? "" : job.config().name();
            if (info == null || !name.equals(info.getId().getTag(DetectorMeters.JOB_NAME))) {
                if (info != null) {
                    registry.remove(info);
                }
                info = Gauge.builder(DetectorMeters.JOB_INFO, () -> 1).tag(PROVISIONING_JOB, jobId)
                        .tag(DetectorMeters.JOB_NAME, name).register(registry);
            }
            if (job.tokenSetAt() != null && token == null) {
                token = gauge(DetectorMeters.TOKEN_EXPIRY, "seconds", v -> v.tokenExpiry);
            } else if (job.tokenSetAt() == null && token != null) {
                registry.remove(token);
                token = null;
            }
        }

        void set(ProvisioningJob job, long heldDeletions, Cycle latest, Instant lastFinished) {
            enabled = job.state() == JobState.PAUSED ? 0 : 1;
            progress = latest == null ? 0 : latest.progressPercent();
            lastCompleted = seconds(lastFinished != null ? lastFinished : job.stored().createdAt());
            interval = job.config().cycleInterval().toSeconds();
            held = heldDeletions;
            tokenExpiry = job.tokenSetAt() == null
                    ? Double.NaN
                    : seconds(job.tokenSetAt().plus(config.tokenLifetime()));
            QuarantineReason reason = job.quarantine().map(Quarantine::reason).orElse(null);
            for (QuarantineReason r : QuarantineReason.values()) {
                quarantined.put(r, r == reason ? 1.0 : 0.0);
            }
        }

        private Gauge gauge(String name, String unit, ToDoubleFunction<JobValues> value) {
            return Gauge.builder(name, this, value).baseUnit(unit).tag(PROVISIONING_JOB, jobId).register(registry);
        }

        private static double seconds(Instant t) {
            return t == null ? Double.NaN : t.toEpochMilli() / 1000.0;
        }
    }
}
