package dev.provisioning.detector.safety;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.config.DetectorStop;
import dev.provisioning.detector.persistence.AuditLog;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.Outbox;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;

/**
 * What runs every {@code detector.housekeeping-interval}: the provisioning log, the audit log, finished cycles and sent
 * outbox records older than {@code detector.log-retention} are purged; each job whose token is older than
 * {@code detector.token-lifetime - detector.token-expiry-warning} is asked to warn of its expiry (once per token). The
 * per-job gauges are read on the same interval by {@link JobGauges}. A run (or a reading of the gauges) not done within
 * {@link #RUN_WAIT} counts as failed and is tried again at the next interval. At a clean stop no run starts and the
 * one under way is waited for ({@link DetectorStop}).
 */
@ApplicationScoped
public class Housekeeping {

    private static final Logger LOG = Logger.getLogger(Housekeeping.class);
    /**
     * How long a run may take before it counts as failed: a statement the database never answers would otherwise keep
     * every later run from starting (runs do not overlap).
     */
    static final Duration RUN_WAIT = Duration.ofMinutes(10);

    private final JobStore jobs;
    private final CycleRepository cycles;
    private final ProvisioningLogRepository log;
    private final Outbox outbox;
    private final DetectorConfig config;
    private final AuditLog audit;
    private final DetectorStop stop;
    private final ScheduledRounds rounds = new ScheduledRounds();

    public Housekeeping(JobStore jobs, CycleRepository cycles, ProvisioningLogRepository log, Outbox outbox,
            DetectorConfig config, AuditLog audit, DetectorStop stop) {
        this.stop = stop;
        this.audit = audit;
        this.jobs = jobs;
        this.cycles = cycles;
        this.log = log;
        this.outbox = outbox;
        this.config = config;
    }

    @Scheduled(every = "${detector.housekeeping-interval:1m}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> run() {
        return rounds.run(() -> purge().chain(this::warnExpiringTokens)
                .ifNoItem().after(RUN_WAIT).failWith(() -> new TimeoutException("no answer from the database in "
                        + RUN_WAIT.toSeconds() + " s"))
                .onFailure().recoverWithUni(e -> {
                    LOG.logf(rounds.failureLevel(Logger.Level.ERROR), "housekeeping failed (tried again in %s): %s",
                            config.housekeepingInterval(), e);
                    return Uni.createFrom().voidItem();
                }));
    }

    /** The detector stops ({@link DetectorStop}): no run starts, the one under way is waited for. */
    void stop(@Observes @Priority(DetectorStop.CYCLES) ShutdownEvent event) {
        if (!rounds.stop(stop.left())) {
            LOG.info("housekeeping was still under way at the stop's deadline: abandoned, done again after the next "
                    + "start");
        }
    }

    /**
     * Deletes provisioning log records, audit log entries, finished cycles and sent outbox records older than the
     * retention.
     */
    public Uni<Void> purge() {
        OffsetDateTime before = OffsetDateTime.now(ZoneOffset.UTC).minus(config.logRetention());
        return log.purge(before).chain(records -> audit.purge(before).chain(entries -> cycles.purge(before)
                .chain(purgedCycles -> outbox.purge(before).invoke(sent -> {
                    if (records > 0 || entries > 0 || purgedCycles > 0 || sent > 0) {
                        LOG.infof("purged %s, %s, %s and %s older than %s",
                                Plural.of(records, "provisioning log record"),
                                Plural.of(entries, "audit log entry", "audit log entries"),
                                Plural.of(purgedCycles, "cycle"), Plural.of(sent, "sent outbox record"),
                                config.logRetention());
                    }
                })))).replaceWithVoid();
    }

    /** Lets each job whose token expires within the warning period tell it, once per token. */
    public Uni<Void> warnExpiringTokens() {
        Instant setBefore = Instant.now().minus(config.tokenLifetime()).plus(config.tokenExpiryWarning());
        return jobs.tokensExpiring(setBefore)
                .onItem().transformToMulti(ids -> Multi.createFrom().iterable(ids))
                .onItem().transformToUniAndConcatenate(id -> jobs.update(id,
                        job -> job.warnTokenExpiry(config.tokenLifetime(), config.tokenExpiryWarning(),
                                Instant.now())))
                .collect().last().replaceWithVoid();
    }
}
