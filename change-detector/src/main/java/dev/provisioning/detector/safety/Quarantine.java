package dev.provisioning.detector.safety;

import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.messaging.JobPublisher;
import dev.provisioning.detector.messaging.JobStatePublisher;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobRepository;
import dev.provisioning.detector.persistence.JobRow;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;

/**
 * Puts jobs in and out of quarantine, as Entra does: at once on invalid credentials, when a cycle's failures reach
 * {@link QuarantineRules}, or when a cycle exceeds the deletion threshold; lifted by a successful result of a cycle
 * that started after the quarantine (a successful retry), by Start or by Restart. While quarantined the job's state is
 * QUARANTINED (published on {@code provisioning.jobs}) and its cycles run at most every
 * {@code detector.quarantine-interval}.
 *
 * <p>
 * Each transition publishes its job state events first, under ids that are stable for the occurrence, then records
 * the new state only if the job did not change meanwhile (its revision); otherwise it starts over from the fresh row.
 * A transition that was already recorded is not made again, so a redelivered result publishes nothing new.
 */
@ApplicationScoped
public class Quarantine {

    private static final Logger LOG = Logger.getLogger(Quarantine.class);
    private static final int ATTEMPTS = 5;

    private final JobRepository jobs;
    private final CycleRepository cycles;
    private final JobPublisher jobPublisher;
    private final JobStatePublisher states;
    private final DetectorConfig config;

    public Quarantine(JobRepository jobs, CycleRepository cycles, JobPublisher jobPublisher, JobStatePublisher states,
            DetectorConfig config) {
        this.jobs = jobs;
        this.cycles = cycles;
        this.jobPublisher = jobPublisher;
        this.states = states;
        this.config = config;
    }

    /**
     * Applies Entra's rules after a result was recorded (also when it was a redelivery: the rules are idempotent).
     * <ul>
     * <li>{@code InvalidCredentials}: quarantine at once (TOKEN_REJECTED and QUARANTINE_STARTED);</li>
     * <li>a failure: quarantine when the cycle's counts reach {@link QuarantineRules}, unless the cycle started before
     * the last quarantine was lifted (a late or redelivered failure of a cycle that was already judged);</li>
     * <li>a success decided after the quarantine began (a successful retry: an escrowed operation or a later cycle)
     * lifts an InvalidCredentials or TooManyFailures quarantine; for TooManyFailures it must come from another cycle
     * than the one that failed, whose remaining successes say nothing new. A DeletionThresholdExceeded quarantine
     * waits for the administrator.</li>
     * </ul>
     */
    public Uni<Void> afterResult(ProvisioningResult r) {
        boolean rejected = QuarantineRules.INVALID_CREDENTIALS.equals(r.errorCode());
        boolean failure = r.status() == ProvisioningStatus.Failure;
        boolean success = r.status() == ProvisioningStatus.Success;
        if (!rejected && !failure && !success) {
            return Uni.createFrom().voidItem();
        }
        Uni<java.util.Optional<CycleRepository.Counters>> counted = failure && !rejected
                ? cycles.counters(r.cycleId())
                : Uni.createFrom().item(java.util.Optional.empty());
        return counted.chain(counters -> retrying(ATTEMPTS, () -> jobs.find(r.jobId()).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(true);
            }
            JobRow job = found.get();
            if (rejected) {
                String detail = "Druva rejected the secret token (HTTP 401) for " + r.objectId()
                        + ": generate a new token in Druva, save it on the job, then start or restart it.";
                return enter(job, QuarantineRules.INVALID_CREDENTIALS, detail, r.cycleId() + "/" + r.objectId(), 1,
                        JobStateChange.TOKEN_REJECTED);
            }
            if (failure && !job.quarantined() && counters.isPresent()
                    && (job.quarantineLiftedAt() == null
                            || counters.get().startedAt().isAfter(job.quarantineLiftedAt()))) {
                var c = counters.get();
                var reason = QuarantineRules.failureReason(c.failed(), c.operations());
                if (reason.isPresent()) {
                    return enter(job, QuarantineRules.TOO_MANY_FAILURES, reason.get(), r.cycleId(), c.failed(), null);
                }
            }
            if (success && liftedBy(job, r)) {
                return lift(job, "a retry succeeded (" + r.objectId() + ")");
            }
            return Uni.createFrom().item(true);
        })));
    }

    private static boolean liftedBy(JobRow job, ProvisioningResult success) {
        if (!job.quarantined() || success.occurredAt() == null
                || !success.occurredAt().isAfter(job.quarantinedSince().toInstant())) {
            return false;
        }
        if (QuarantineRules.INVALID_CREDENTIALS.equals(job.quarantineReason())) {
            return true;
        }
        return QuarantineRules.TOO_MANY_FAILURES.equals(job.quarantineReason())
                && !job.quarantineKey().equals(QuarantineRules.TOO_MANY_FAILURES + "/" + success.cycleId());
    }

    /**
     * Quarantines the job for {@code reason}, unless it already is for that reason (the email goes once on entry and
     * again only when the reason changes).
     *
     * @param occurrence what identifies this occurrence within the reason (the cycle, and for a rejected token the
     *        object whose result said so): the events' ids are {@code <reason>/<occurrence>}
     * @param also another event to publish first (TOKEN_REJECTED), or null
     * @return false when the job changed meanwhile and the caller must try again with a fresh row
     */
    public Uni<Boolean> enter(JobRow job, String reason, String detail, String occurrence, long count,
            JobStateChange also) {
        if (reason.equals(job.quarantineReason())) {
            return Uni.createFrom().item(true);
        }
        String key = reason + "/" + occurrence;
        String cycleId = occurrence.contains("/") ? occurrence.substring(0, occurrence.indexOf('/')) : occurrence;
        JobConfig old = EventChecks.job(job.config());
        JobState state = old.state() == JobState.PAUSED ? JobState.PAUSED : JobState.QUARANTINED;
        JobConfig changed = withState(old, state);
        Uni<Void> first = also == null
                ? Uni.createFrom().voidItem()
                : states.publish(JobStateEvents.of(job.id(), job.name(), also, key, reason, detail, count, cycleId));
        return first
                .chain(() -> states.publish(JobStateEvents.of(job.id(), job.name(), JobStateChange.QUARANTINE_STARTED,
                        key, reason, detail, count, cycleId)))
                .chain(() -> jobPublisher.publish(changed))
                .chain(() -> jobs.quarantine(job.id(), state.name(), Json.write(changed), changed.revision(),
                        job.revision(), reason, detail, key, config.quarantineInterval()))
                .invoke(done -> {
                    if (done) {
                        LOG.warnf("job %s: quarantined (%s): %s", job.id(), reason, detail);
                    }
                });
    }

    /**
     * Lifts the quarantine, if any.
     *
     * @return false when the job changed meanwhile and the caller must try again with a fresh row
     */
    public Uni<Boolean> lift(JobRow job, String why) {
        if (!job.quarantined()) {
            return Uni.createFrom().item(true);
        }
        JobConfig old = EventChecks.job(job.config());
        JobState state = old.state() == JobState.QUARANTINED ? JobState.ACTIVE : old.state();
        JobConfig changed = withState(old, state);
        JobStateEvent lifted = JobStateEvents.of(job.id(), job.name(), JobStateChange.QUARANTINE_LIFTED,
                job.quarantineKey(), job.quarantineReason(), "The quarantine was lifted: " + why + ".", 0, null);
        return states.publish(lifted)
                .chain(() -> jobPublisher.publish(changed))
                .chain(() -> jobs.liftQuarantine(job.id(), state.name(), Json.write(changed), changed.revision(),
                        job.revision(), old.cycleInterval()))
                .invoke(done -> {
                    if (done) {
                        LOG.infof("job %s: quarantine (%s) lifted: %s", job.id(), job.quarantineReason(), why);
                    }
                });
    }

    /** Quarantines a job by id, retrying on concurrent changes. */
    public Uni<Void> enter(String jobId, String reason, String detail, String cycleId, long count) {
        return retrying(ATTEMPTS, () -> jobs.find(jobId).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(true)
                : enter(found.get(), reason, detail, cycleId, count, null)));
    }

    /** Lifts the quarantine of a job by id (Start, Restart, allowed deletions), retrying on concurrent changes. */
    public Uni<Void> lift(String jobId, String why) {
        return retrying(ATTEMPTS, () -> jobs.find(jobId)
                .chain(found -> found.isEmpty() ? Uni.createFrom().item(true) : lift(found.get(), why)));
    }

    /** Runs {@code step} until it reports done (true), at most {@code attempts} times. */
    static Uni<Void> retrying(int attempts, java.util.function.Supplier<Uni<Boolean>> step) {
        return step.get().chain(done -> {
            if (done) {
                return Uni.createFrom().voidItem();
            }
            if (attempts <= 1) {
                return Uni.createFrom().failure(new IllegalStateException(
                        "the job kept changing while its quarantine state was being recorded"));
            }
            return retrying(attempts - 1, step);
        });
    }

    /** The same configuration in another state, as a new revision. */
    public static JobConfig withState(JobConfig c, JobState state) {
        return new JobConfig(c.schemaVersion(), c.jobId(), c.name(), state, c.tenantUrl(), c.secretToken(),
                c.notificationEmail(), c.notifyOnFailure(), c.scope(), c.skipNotEffectivelyEntitled(), c.patchDialect(),
                c.actions(), c.skipOutOfScopeDeletions(), c.userMappings(), c.userScopingFilters(), c.source(),
                c.cycleInterval(), c.revision() + 1, Instant.now());
    }
}
