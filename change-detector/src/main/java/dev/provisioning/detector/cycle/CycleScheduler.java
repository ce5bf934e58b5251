package dev.provisioning.detector.cycle;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.persistence.JobStore;
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
 * At a stop ({@code ShutdownEvent}) no look starts and the one under way is waited for
 * ({@link ScheduledRounds#GRACE}, within its own {@code detector.claim-wait}) while the database still answers; jobs
 * it claimed are not started then (their claims lapse after the lease and the next start, or another replica, runs
 * them). A failed look or a cycle that ends with a failure while stopping is logged at DEBUG and INFO, not ERROR: the
 * stop caused it, and the cycle is resumed (its claim lapses) as after a crash.
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
    private final ScheduledRounds rounds = new ScheduledRounds();

    public CycleScheduler(JobStore jobs, CycleRunner runner, DetectorConfig config,
            @Readiness CycleClaiming claiming) {
        this.claiming = claiming;
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

    /** The detector stops: no new look, and the one under way is waited for, at most {@link ScheduledRounds#GRACE}. */
    void stop(@Observes ShutdownEvent event) {
        if (!rounds.stop(ScheduledRounds.GRACE)) {
            LOG.infof("a look for due cycles was still under way after %s: abandoned (a claim it made lapses after "
                    + "detector.cycle-lease)", ScheduledRounds.GRACE);
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
                .invoke(claimed -> {
                    int failedBefore = claiming.succeeded();
                    if (failedBefore > 0) {
                        LOG.infof("claiming due cycles works again, after %d failed attempts", failedBefore);
                    }
                    if (rounds.stopping()) {
                        if (!claimed.isEmpty()) {
                            LOG.infof("%d due cycles claimed as the detector stops are not started: their claims "
                                    + "lapse after %s", claimed.size(), config.cycleLease());
                        }
                        return;
                    }
                    claimed.forEach(this::start);
                })
                .replaceWithVoid()
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

    /** Starts a claimed job's cycle without waiting for it. */
    private void start(ProvisioningJob job) {
        running.add(job.id());
        runner.runWhenPreviousFinished(job)
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
