package dev.provisioning.detector.cycle;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.job.QuarantineSchedule;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;

/**
 * Records every provisioning result in the provisioning log and in its cycle's counts, lets the job apply Entra's
 * quarantine rules to it, and finishes the cycle when the result completed it. Topic in: {@code provisioning.results}
 * (channel {@value #CHANNEL}); what the job raises goes out through the outbox ({@code provisioning.job-states},
 * {@code provisioning.jobs}). Ack rule: acked once the result is stored (idempotently, by result id) and the job is
 * saved; a record that cannot be decoded is nacked and goes to {@code provisioning.results.dlq} with the reason.
 */
@ApplicationScoped
public class ResultsConsumer {

    public static final String CHANNEL = "results";
    private static final Logger LOG = Logger.getLogger(ResultsConsumer.class);

    private final ProvisioningLogRepository log;
    private final CycleRepository cycles;
    private final JobStore jobs;
    private final SnapshotRepository snapshots;
    private final QuarantineSchedule quarantineSchedule;
    private final MeterRegistry registry;

    public ResultsConsumer(ProvisioningLogRepository log, CycleRepository cycles, JobStore jobs,
            SnapshotRepository snapshots, QuarantineSchedule quarantineSchedule, MeterRegistry registry) {
        this.log = log;
        this.cycles = cycles;
        this.jobs = jobs;
        this.snapshots = snapshots;
        this.quarantineSchedule = quarantineSchedule;
        this.registry = registry;
    }

    @Incoming(CHANNEL)
    public Uni<Void> onResult(String json) {
        ProvisioningResult result = EventChecks.result(json);
        return log.record(result).invoke(recorded -> {
            if (recorded.recorded()) {
                registry.counter("provisioning.detector.results", "job", result.jobId(), "action",
                        result.action().name(), "status", result.status().name()).increment();
            } else {
                LOG.debugf("result %s was already recorded", result.resultId());
            }
        }).chain(recorded -> result.retryOf() != null
                ? laterOutcome(result, recorded)
                : cycles.find(result.cycleId())
                        .chain(cycle -> judge(result, cycle).chain(() -> cycle.isPresent()
                                && cycle.get().completeButNotFinished()
                                        ? finish(result, cycle.get())
                                        : Uni.createFrom().voidItem())));
    }

    /**
     * The later outcome of an escrowed or held operation (the scim-writer's retry ended): it is in the log and the
     * managed objects already (it replaces the first result as the object's outcome); its cycle, complete with the
     * first result, is not reopened. A success may lift a quarantine as any success does, and a user it added to
     * Druva or removed brings the next cycle forward, so that its groups' members follow.
     */
    private Uni<Void> laterOutcome(ProvisioningResult result, ProvisioningLogRepository.Recorded recorded) {
        Uni<Void> judged = judge(result, Optional.empty());
        if (!recorded.managedUsersChanged()) {
            return judged;
        }
        return judged.chain(() -> snapshots.holdsGroups(result.jobId()))
                .chain(groups -> jobs.update(result.jobId(), job -> job.referencesChanged(groups, Instant.now())))
                .invoke(asked -> {
                    if (asked.orElse(false)) {
                        LOG.infof("job %s: the escrowed operation of %s succeeded later: the next cycle runs now to "
                                + "update group memberships", result.jobId(), result.objectId());
                    }
                }).replaceWithVoid();
    }

    /** The job's quarantine rules, for the results they read (a redelivered result changes nothing). */
    private Uni<Void> judge(ProvisioningResult result, Optional<Cycle> cycle) {
        if (result.status() != ProvisioningStatus.Success && result.status() != ProvisioningStatus.Failure
                && !ErrorCodes.INVALID_CREDENTIALS.equals(result.errorCode())) {
            return Uni.createFrom().voidItem();
        }
        return jobs.update(result.jobId(), job -> {
            job.afterResult(result, cycle, Instant.now(), quarantineSchedule);
            return job;
        }).replaceWithVoid();
    }

    /**
     * This result completed its cycle: records the cycle's duration (once, whoever gets there first) and, when the
     * cycle added users to Druva or removed some, lets the job bring its next cycle forward so that group memberships
     * follow.
     */
    private Uni<Void> finish(ProvisioningResult result, Cycle cycle) {
        return cycles.finished(cycle.id()).chain(first -> {
            if (!first) {
                return Uni.createFrom().voidItem();
            }
            registry.timer("provisioning.detector.cycle.duration", "job", result.jobId())
                    .record(Duration.between(cycle.startedAt(), Instant.now()));
            if (!cycle.results().managedUsersChanged()) {
                return Uni.createFrom().voidItem();
            }
            return snapshots.holdsGroups(result.jobId())
                    .chain(groups -> jobs.update(result.jobId(), job -> job.followUp(cycle, groups, Instant.now())))
                    .invoke(brought -> {
                        if (brought.orElse(false)) {
                            LOG.infof("job %s: cycle %s changed which users Druva holds: the next cycle runs now "
                                    + "to update group memberships", result.jobId(), result.cycleId());
                        }
                    }).replaceWithVoid();
        });
    }
}
