package dev.provisioning.detector.safety;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.Outbox;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.StagedDeletionRepository;

/**
 * What runs every {@code detector.housekeeping-interval}: the provisioning log, finished cycles and sent outbox records
 * older than {@code detector.log-retention} are purged; each job whose token is older than
 * {@code detector.token-lifetime - detector.token-expiry-warning} is asked to warn of its expiry (once per token); and
 * the per-job gauges (quarantined, held deletions, progress of the current cycle) are read from the database, so every
 * replica reports the same values.
 */
@ApplicationScoped
public class Housekeeping {

    private static final Logger LOG = Logger.getLogger(Housekeeping.class);

    private final JobStore jobs;
    private final CycleRepository cycles;
    private final ProvisioningLogRepository log;
    private final StagedDeletionRepository staged;
    private final Outbox outbox;
    private final DetectorConfig config;
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

    public Housekeeping(JobStore jobs, CycleRepository cycles, ProvisioningLogRepository log,
            StagedDeletionRepository staged, Outbox outbox, DetectorConfig config, MeterRegistry registry) {
        this.jobs = jobs;
        this.cycles = cycles;
        this.log = log;
        this.staged = staged;
        this.outbox = outbox;
        this.config = config;
        this.registry = registry;
    }

    @Scheduled(every = "${detector.housekeeping-interval:1m}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> run() {
        return purge().chain(this::warnExpiringTokens).chain(this::refreshGauges)
                .onFailure().recoverWithUni(e -> {
                    LOG.errorf("housekeeping failed (tried again in %s): %s", config.housekeepingInterval(), e);
                    return Uni.createFrom().voidItem();
                });
    }

    /** Deletes provisioning log records, finished cycles and sent outbox records older than the retention. */
    public Uni<Void> purge() {
        OffsetDateTime before = OffsetDateTime.now(ZoneOffset.UTC).minus(config.logRetention());
        return log.purge(before).chain(records -> cycles.purge(before).chain(purgedCycles -> outbox.purge(before)
                .invoke(sent -> {
                    if (records > 0 || purgedCycles > 0 || sent > 0) {
                        LOG.infof("purged %d provisioning log records, %d cycles and %d sent outbox records older "
                                + "than %s", records, purgedCycles, sent, config.logRetention());
                    }
                }))).replaceWithVoid();
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

    /** Reads the per-job gauges from the database. */
    public Uni<Void> refreshGauges() {
        return jobs.list().chain(all -> staged.countsByJob().chain(held -> {
            Uni<Void> refreshed = Uni.createFrom().voidItem();
            for (ProvisioningJob job : all) {
                gauge("provisioning.detector.quarantined", job.id()).set(job.quarantined() ? 1 : 0);
                gauge("provisioning.detector.deletions.held", job.id()).set(held.getOrDefault(job.id(), 0L));
                refreshed = refreshed.chain(() -> cycles.latest(job.id(), 1).invoke(latest -> latest.stream()
                        .findFirst().ifPresent(cycle -> gauge("provisioning.detector.cycle.progress", job.id())
                                .set(cycle.progressPercent())))
                        .replaceWithVoid());
            }
            return refreshed;
        }));
    }

    private AtomicLong gauge(String name, String jobId) {
        return gauges.computeIfAbsent(name + "/" + jobId,
                k -> registry.gauge(name, io.micrometer.core.instrument.Tags.of("job", jobId), new AtomicLong()));
    }
}
