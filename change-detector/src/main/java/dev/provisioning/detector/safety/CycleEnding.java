package dev.provisioning.detector.safety;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.DatabaseFailures;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.telemetry.Plural;

/**
 * Brings a cycle whose events are on Kafka to its end, whoever emitted them: a job's cycle ({@code CycleRunner}) or the
 * release of held deletions ({@link HeldDeletions#allow}). From the moment the events went out, the cycle must not be
 * left RUNNING by a database that failed for a moment: each later step is {@link #retried}, and a cycle whose results
 * all came in before it was marked EMITTED (nobody found it complete then, as it was still RUNNING) is
 * {@link #finishIfComplete finished} here.
 */
@ApplicationScoped
public class CycleEnding {

    /**
     * How long one database call of a cycle may go unanswered before it counts as failed (a large snapshot's move
     * included).
     */
    public static final Duration CALL_WAIT = Duration.ofMinutes(2);
    /** Attempts of each step after the cycle's events are on Kafka, while it fails transiently. */
    public static final int END_ATTEMPTS = 8;
    public static final int END_RETRY_FIRST_SECONDS = 1;
    public static final int END_RETRY_MAX_SECONDS = 30;
    private static final Logger LOG = Logger.getLogger(CycleEnding.class);

    private final JobStore jobs;
    private final CycleRepository cycles;
    private final SnapshotRepository snapshots;
    private final MeterRegistry registry;

    public CycleEnding(JobStore jobs, CycleRepository cycles, SnapshotRepository snapshots, MeterRegistry registry) {
        this.jobs = jobs;
        this.cycles = cycles;
        this.snapshots = snapshots;
        this.registry = registry;
    }

    /**
     * {@code call}, failing with a {@link TimeoutException} when the database does not answer it within
     * {@link #CALL_WAIT}: a statement never answered (a connection the client takes for closed, a lock never released)
     * fails the step instead of holding the cycle, and the claim its heartbeat renews, for ever.
     */
    public static <T> Uni<T> answered(Uni<T> call) {
        return call.ifNoItem().after(CALL_WAIT).failWith(() -> new TimeoutException(
                "no answer from the database in " + CALL_WAIT.toSeconds() + " s"));
    }

    /**
     * A step after the cycle's events are on Kafka: each attempt runs {@code step} afresh and may wait
     * {@link #CALL_WAIT} for its answer; a transient failure ({@link DatabaseFailures#isTransient}: the database or the
     * connection to it failed, or did not answer) is retried with backoff ({@value #END_RETRY_FIRST_SECONDS} s doubling
     * to {@value #END_RETRY_MAX_SECONDS} s), {@value #END_ATTEMPTS} attempts in all, each failure logged (WARN) and a
     * success after failures logged (INFO). Any other failure, or the last attempt's, fails the step.
     *
     * @param what the step, as the log names it ("marking it emitted")
     */
    public <T> Uni<T> retried(String jobId, String cycleId, String what, Supplier<Uni<T>> step) {
        AtomicInteger failures = new AtomicInteger();
        return answered(Uni.createFrom().<T>deferred(() -> step.get()))
                .onFailure(DatabaseFailures::isTransient).invoke(e -> LOG.warnf(
                        "job %s: cycle %s emitted its events; %s failed (attempt %d of %d)%s: %s", jobId, cycleId,
                        what, failures.incrementAndGet(), END_ATTEMPTS,
                        failures.get() < END_ATTEMPTS ? ", retried" : "", e.toString()))
                .onFailure(DatabaseFailures::isTransient).retry()
                .withBackOff(Duration.ofSeconds(END_RETRY_FIRST_SECONDS), Duration.ofSeconds(END_RETRY_MAX_SECONDS))
                .atMost(END_ATTEMPTS - 1)
                .invoke(() -> {
                    if (failures.get() > 0) {
                        LOG.infof("job %s: cycle %s: %s succeeded after %s", jobId, cycleId, what,
                                Plural.of(failures.get(), "failed attempt"));
                    }
                });
    }

    /** What finishing a cycle did: this call marked it finished; the job brought its next cycle forward. */
    private record Finished(boolean first, boolean followedUp) {
    }

    /**
     * Finishes the cycle when it emitted events and their results are all in already: results recorded before the
     * cycle was marked EMITTED (while the mark was retried, or in the moment between its last event and the mark) were
     * counted in it, but nobody found it complete then. As the results consumer does: marked finished in one
     * transaction with the job's follow-up ({@code ProvisioningJob#followUp}); the {@code finished_at} guard makes the
     * one who gets there first do it, once. Its duration is recorded by whoever marked it. A cycle that emitted
     * nothing, or is not complete, is left as it is.
     */
    public Uni<Void> finishIfComplete(String jobId, String cycleId) {
        return answered(cycles.find(cycleId)).chain(found -> {
            // a cycle that sent nothing has no result to finish it, as before
            Cycle cycle = found.filter(c -> c.eventsEmitted() > 0 && c.completeButNotFinished()).orElse(null);
            if (cycle == null) {
                return Uni.createFrom().voidItem();
            }
            Uni<Boolean> groups = cycle.results().managedUsersChanged()
                    ? answered(snapshots.holdsGroups(jobId))
                    : Uni.createFrom().item(false);
            return groups.chain(holdsGroups -> answered(jobs.update(jobId, (job, tx) -> cycles.finished(tx, cycleId)
                    .map(first -> new Finished(first, first && job.followUp(cycle, holdsGroups, Instant.now()))))))
                    .invoke(marked -> marked.filter(Finished::first).ifPresent(finished -> {
                        registry.timer(DetectorMeters.CYCLE_DURATION, PROVISIONING_JOB, jobId)
                                .record(Duration.between(cycle.startedAt(), Instant.now()));
                        LOG.infof("job %s: cycle %s had all its results when it was marked emitted: finished%s", jobId,
                                cycleId, finished.followedUp()
                                        ? "; the next cycle runs now to update group memberships"
                                        : "");
                    })).replaceWithVoid();
        });
    }
}
