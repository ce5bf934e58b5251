package dev.provisioning.detector.cycle;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.config.DetectorStop;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;

/**
 * Looks for jobs whose cycle is due (state ACTIVE, {@code next_cycle_at} passed, no live claim) on every tick and starts
 * their cycles. Each cycle runs on its own: a tick claims and starts cycles and returns at once, without waiting for
 * any of them, so one job's slow source, Graph throttling or backoff (which holds no thread) never delays another
 * job's cycle start. A replica runs at most {@code detector.max-running-cycles} cycles at once and claims no more than
 * it has room for (the others stay due for the next tick or another replica). Claims are made in the database, so any
 * number of replicas can tick at once. Besides the tick, {@link #claimNow} looks at once (the directory-file watch
 * calls it when it brought a cycle forward, the results consumer when a finished cycle let the next one start); a
 * look never overlaps another on the same replica, and a {@link #claimNow} made while one is under way makes another
 * look right after it (that look may have read the jobs before the call's job was due).
 *
 * <p>
 * A look whose claim the database fails, or does not answer within {@code detector.claim-wait} (10 s), ends there; the
 * next tick looks again. The first failure of an outage is logged (ERROR), its end too (INFO); after
 * {@value CycleClaiming#ATTEMPTS} failed looks in a row readiness {@value CycleClaiming#NAME} is down until a look
 * succeeds. A claim that the
 * database commits after the look gave up belongs to nobody here: its jobs wait for the lease to pass
 * ({@code detector.cycle-lease}), then are claimed again.
 *
 * <p>
 * At a stop ({@code ShutdownEvent}, step {@link DetectorStop#CYCLES}), while the database and the broker still
 * answer, the detector hands its work over instead of abandoning it, within {@link ScheduledRounds#GRACE} in all: each
 * running cycle is told to stop
 * ({@link RunningCycles#stopAll}); no look starts, and the one under way is waited for (within its own
 * {@code detector.claim-wait}), the jobs it claimed then being handed back at once (claims released, still due); then
 * the running cycles are waited for. A cycle that has not emitted all its events stops before its next one and hands
 * its job back ({@link CycleRunner}: recorded FAILED as interrupted, claim released), so the next start, or another
 * replica, runs the job's cycle at once instead of after {@code detector.cycle-lease}; one that has emitted them all
 * records its end. What is still under way when the grace is over is abandoned as a crash abandons it (its claim
 * lapses after the lease). A failed look or a cycle that ends with a failure while stopping is logged at DEBUG and
 * INFO, not ERROR: the stop caused it.
 */
@ApplicationScoped
public class CycleScheduler {

    private static final Logger LOG = Logger.getLogger(CycleScheduler.class);

    private final JobStore jobs;
    private final CycleRunner runner;
    private final DetectorConfig config;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    /** Whether a look for due cycles (a tick or {@link #claimNow}) is under way on this replica. */
    private final AtomicBoolean looking = new AtomicBoolean();
    /** Whether {@link #claimNow} asked for a look since the last look started. */
    private final AtomicBoolean asked = new AtomicBoolean();
    private final CycleClaiming claiming;
    private final RunningCycles cycles;
    /** The looks for due cycles (ticks and {@link #claimNow}). */
    private final ScheduledRounds rounds = new ScheduledRounds();
    /** The cycles started here, waited for at a stop once the looks have ended. */
    private final ScheduledRounds cycleRounds = new ScheduledRounds();

    public CycleScheduler(JobStore jobs, CycleRunner runner, DetectorConfig config,
            @Readiness CycleClaiming claiming, RunningCycles cycles) {
        this.claiming = claiming;
        this.cycles = cycles;
        this.jobs = jobs;
        this.runner = runner;
        this.config = config;
    }

    @Scheduled(every = "${detector.scheduler-tick:1s}", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> tick() {
        return rounds.run(() -> {
            if (!looking.compareAndSet(false, true)) {
                // a look is under way (claimNow): the next tick looks again
                return Uni.createFrom().voidItem();
            }
            return look();
        });
    }

    /**
     * The detector stops: the running cycles are told to stop, no new look starts, and the look and the cycles under
     * way are waited for, at most {@link ScheduledRounds#GRACE} in all (see the class comment).
     */
    void stop(@Observes @Priority(DetectorStop.CYCLES) ShutdownEvent event) {
        stop(ScheduledRounds.GRACE);
    }

    /** {@link #stop(ShutdownEvent)} with {@code grace}. */
    void stop(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        int told = cycles.stopAll();
        if (told > 0) {
            LOG.infof("stopping: %s told to stop and hand their jobs back",
                    Plural.of(told, "running cycle is", "running cycles are"));
        }
        if (!rounds.stop(grace)) {
            LOG.infof("a look for due cycles was still under way after %s: abandoned (a claim it made lapses after "
                    + "detector.cycle-lease)", grace);
        }
        // a cycle started by the look is counted before the look ends: none starts uncounted after this
        if (!cycleRounds.stop(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
            LOG.infof("%s still running after %s: abandoned (their claims lapse after "
                    + "detector.cycle-lease, then the next start or another replica resumes them)",
                    Plural.of(cycleRounds.underway(), "cycle was", "cycles were"), grace);
        }
    }

    /**
     * Looks for due cycles now, without waiting for the next tick, and starts them; when a look is under way here,
     * another one follows it at once (a job that became due during that look is found then, not a tick later).
     * Returns at once; never fails.
     */
    public void claimNow() {
        asked.set(true);
        if (looking.compareAndSet(false, true)) {
            subscribe(look());
        }
    }

    /** One look; {@link #looking} is set by the caller and cleared here, after a look asked for meanwhile. */
    private Uni<Void> look() {
        return Uni.createFrom().deferred(() -> {
            asked.set(false);
            return claimAndStart();
        }).onTermination().invoke(() -> {
            looking.set(false);
            if (asked.get() && looking.compareAndSet(false, true)) {
                subscribe(look());
            }
        });
    }

    private void subscribe(Uni<Void> look) {
        rounds.run(() -> look).subscribe().with(done -> {
        }, failure -> LOG.logf(rounds.failureLevel(Logger.Level.ERROR), "claiming due cycles failed: %s",
                failure.toString()));
    }

    private Uni<Void> claimAndStart() {
        int room = config.maxRunningCycles() - running.size();
        if (room <= 0) {
            return Uni.createFrom().voidItem();
        }
        return jobs.claimDue(config.cycleLease(), room, config.claimWait())
                .ifNoItem().after(config.claimWait()).failWith(() -> new TimeoutException(
                        "no answer from the database in " + config.claimWait().toMillis() + " ms"))
                .chain(claimed -> {
                    int failedBefore = claiming.succeeded();
                    if (failedBefore > 0) {
                        LOG.infof("claiming due cycles works again, after %s",
                                Plural.of(failedBefore, "failed attempt"));
                    }
                    if (rounds.stopping()) {
                        return handBack(claimed);
                    }
                    claimed.forEach(this::start);
                    return Uni.createFrom().voidItem();
                })
                .onFailure().recoverWithUni(e -> {
                    if (rounds.stopping()) {
                        LOG.debugf("claiming due cycles failed as the detector stops: %s", e.toString());
                        return Uni.createFrom().voidItem();
                    }
                    int failed = claiming.failed();
                    if (failed == 1) {
                        LOG.errorf("claiming due cycles failed (tried again at each tick; logged again when it works, "
                                + "readiness %s is down after %d failed attempts): %s", CycleClaiming.NAME,
                                CycleClaiming.ATTEMPTS, e.toString());
                    } else {
                        LOG.debugf("claiming due cycles failed again (%d attempts): %s", failed, e.toString());
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    /**
     * Jobs claimed as the detector stops are not started: their claims are released at once (part of the look, which
     * the stop waits for), so the next start or another replica runs them without waiting for the lease.
     */
    private Uni<Void> handBack(List<ProvisioningJob> claimed) {
        if (claimed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        LOG.infof("%s claimed as the detector stops %s not started: handed back",
                Plural.of(claimed.size(), "due cycle"), Plural.noun(claimed.size(), "is", "are"));
        return Multi.createFrom().iterable(claimed).onItem().transformToUniAndConcatenate(runner::handBack)
                .collect().last().replaceWithVoid();
    }

    /** Starts a claimed job's cycle without waiting for it; a stop waits for it ({@link #stop(Duration)}). */
    private void start(ProvisioningJob job) {
        running.add(job.id());
        cycleRounds.run(() -> runner.runWhenPreviousFinished(job))
                .onTermination().invoke(() -> running.remove(job.id()))
                .subscribe().with(done -> {
                }, failure -> {
                    if (rounds.stopping()) {
                        LOG.infof("job %s: cycle stopped with the detector (its claim lapses and it is resumed): %s",
                                job.id(), failure.toString());
                    } else {
                        LOG.errorf("job %s: cycle ended with %s", job.id(), failure);
                    }
                });
    }

    /** How many cycles this replica runs now. */
    int running() {
        return running.size();
    }
}
