package dev.provisioning.detector.safety;

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
import dev.provisioning.detector.messaging.JobStatePublisher;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobRepository;
import dev.provisioning.detector.persistence.JobRow;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.StagedDeletionRepository;
import dev.provisioning.events.JobStateChange;

/**
 * What runs every {@code detector.housekeeping-interval}: the provisioning log and finished cycles older than
 * {@code detector.log-retention} are purged; TOKEN_EXPIRING is published once per token when the token is older than
 * {@code detector.token-lifetime - detector.token-expiry-warning}; and the per-job gauges (quarantined, held deletions,
 * progress of the current cycle) are read from the database, so every replica reports the same values.
 */
@ApplicationScoped
public class Housekeeping {

    private static final Logger LOG = Logger.getLogger(Housekeeping.class);

    private final JobRepository jobs;
    private final CycleRepository cycles;
    private final ProvisioningLogRepository log;
    private final StagedDeletionRepository staged;
    private final JobStatePublisher states;
    private final DetectorConfig config;
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

    public Housekeeping(JobRepository jobs, CycleRepository cycles, ProvisioningLogRepository log,
            StagedDeletionRepository staged, JobStatePublisher states, DetectorConfig config, MeterRegistry registry) {
        this.jobs = jobs;
        this.cycles = cycles;
        this.log = log;
        this.staged = staged;
        this.states = states;
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

    /** Deletes provisioning log records and finished cycles older than the retention. */
    public Uni<Void> purge() {
        OffsetDateTime before = OffsetDateTime.now(ZoneOffset.UTC).minus(config.logRetention());
        return log.purge(before).chain(records -> cycles.purge(before).invoke(purgedCycles -> {
            if (records > 0 || purgedCycles > 0) {
                LOG.infof("purged %d provisioning log records and %d cycles older than %s", records, purgedCycles,
                        config.logRetention());
            }
        })).replaceWithVoid();
    }

    /** Publishes TOKEN_EXPIRING once for each token that expires within the warning period. */
    public Uni<Void> warnExpiringTokens() {
        OffsetDateTime setBefore = OffsetDateTime.now(ZoneOffset.UTC).minus(config.tokenLifetime())
                .plus(config.tokenExpiryWarning());
        return jobs.tokensExpiring(setBefore)
                .onItem().transformToMulti(rows -> Multi.createFrom().iterable(rows))
                .onItem().transformToUniAndConcatenate(this::warn)
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> warn(JobRow job) {
        OffsetDateTime expires = job.tokenSetAt().plus(config.tokenLifetime());
        String reason = "The Druva secret token of this job was set on " + job.tokenSetAt().toLocalDate()
                + " and expires around " + expires.toLocalDate() + ": generate a new token in Druva and save it "
                + "on the job.";
        return states.publish(JobStateEvents.of(job.id(), job.name(), JobStateChange.TOKEN_EXPIRING,
                String.valueOf(job.tokenSetAt().toInstant().toEpochMilli()), "TokenExpiring", reason, 0, null))
                .chain(() -> jobs.tokenExpiryWarned(job.id(), job.tokenSetAt()));
    }

    /** Reads the per-job gauges from the database. */
    public Uni<Void> refreshGauges() {
        return jobs.list().chain(rows -> staged.countsByJob().chain(held -> {
            Uni<Void> all = Uni.createFrom().voidItem();
            for (JobRow job : rows) {
                gauge("provisioning.detector.quarantined", job.id()).set(job.quarantined() ? 1 : 0);
                gauge("provisioning.detector.deletions.held", job.id()).set(held.getOrDefault(job.id(), 0L));
                all = all.chain(() -> cycles.latest(job.id(), 1).chain(latest -> latest.isEmpty()
                        ? Uni.createFrom().voidItem()
                        : cycles.counters(latest.get(0).id()).invoke(c -> c.ifPresent(counters -> gauge(
                                "provisioning.detector.cycle.progress", job.id()).set(
                                        counters.eventsEmitted() == 0
                                                ? ("EMITTED".equals(counters.status()) ? 100 : 0)
                                                : Math.min(100, counters.results() * 100 / counters.eventsEmitted()))))
                                .replaceWithVoid()));
            }
            return all;
        }));
    }

    private AtomicLong gauge(String name, String jobId) {
        return gauges.computeIfAbsent(name + "/" + jobId,
                k -> registry.gauge(name, io.micrometer.core.instrument.Tags.of("job", jobId), new AtomicLong()));
    }
}
