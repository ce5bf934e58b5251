package dev.provisioning.detector.cycle;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.persistence.JobStore;

/**
 * Looks for jobs whose cycle is due (state ACTIVE, {@code next_cycle_at} passed, no live claim) on every tick and starts
 * their cycles. Each cycle runs on its own: a tick claims and starts cycles and returns at once, without waiting for
 * any of them, so one job's slow source, Graph throttling or backoff (which holds no thread) never delays another
 * job's cycle start. A replica runs at most {@code detector.max-running-cycles} cycles at once and claims no more than
 * it has room for (the others stay due for the next tick or another replica). Claims are made in the database, so any
 * number of replicas can tick at once. Besides the tick, {@link #claimNow} looks at once (the directory-file watch
 * calls it when it brought a cycle forward); a look never overlaps another on the same replica.
 */
@ApplicationScoped
public class CycleScheduler {

    private static final Logger LOG = Logger.getLogger(CycleScheduler.class);

    private final JobStore jobs;
    private final CycleRunner runner;
    private final DetectorConfig config;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    /** Whether a look for due cycles (a tick or {@link #claimNow}) is under way on this replica. */
    private final AtomicBoolean claiming = new AtomicBoolean();

    public CycleScheduler(JobStore jobs, CycleRunner runner, DetectorConfig config) {
        this.jobs = jobs;
        this.runner = runner;
        this.config = config;
    }

    @Scheduled(every = "${detector.scheduler-tick:1s}", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> tick() {
        if (!claiming.compareAndSet(false, true)) {
            // a look is under way (claimNow): the next tick looks again
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(this::claimAndStart).onTermination().invoke(() -> claiming.set(false));
    }

    /**
     * Looks for due cycles now, without waiting for the next tick, and starts them; nothing when a look is under way
     * here (the next tick finds what it missed). Returns at once; never fails.
     */
    public void claimNow() {
        tick().subscribe().with(done -> {
        }, failure -> LOG.errorf("claiming due cycles failed: %s", failure.toString()));
    }

    private Uni<Void> claimAndStart() {
        int room = config.maxRunningCycles() - running.size();
        if (room <= 0) {
            return Uni.createFrom().voidItem();
        }
        return jobs.claimDue(config.cycleLease(), room).invoke(claimed -> claimed.forEach(this::start))
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    LOG.errorf("claiming due cycles failed (tried again at the next tick): %s", e.toString());
                    return Uni.createFrom().voidItem();
                });
    }

    /** Starts a claimed job's cycle without waiting for it. */
    private void start(ProvisioningJob job) {
        running.add(job.id());
        runner.runWhenPreviousFinished(job)
                .onTermination().invoke(() -> running.remove(job.id()))
                .subscribe().with(done -> {
                }, failure -> LOG.errorf("job %s: cycle ended with %s", job.id(), failure));
    }

    /** How many cycles this replica runs now. */
    int running() {
        return running.size();
    }
}
