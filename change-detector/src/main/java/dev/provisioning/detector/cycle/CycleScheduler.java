package dev.provisioning.detector.cycle;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.persistence.JobStore;

/**
 * Looks for jobs whose cycle is due (state ACTIVE, {@code next_cycle_at} passed) on every tick and runs their cycles.
 * Claims are made in the database, so any number of replicas can tick at once.
 */
@ApplicationScoped
public class CycleScheduler {

    private final JobStore jobs;
    private final CycleRunner runner;
    private final DetectorConfig config;

    public CycleScheduler(JobStore jobs, CycleRunner runner, DetectorConfig config) {
        this.jobs = jobs;
        this.runner = runner;
        this.config = config;
    }

    @Scheduled(every = "${detector.scheduler-tick:2s}", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> tick() {
        return jobs.claimDue(config.cycleLease(), 4)
                .onItem().transformToMulti(claimed -> Multi.createFrom().iterable(claimed))
                .onItem().transformToUniAndMerge(runner::runWhenPreviousFinished)
                .collect().last().replaceWithVoid();
    }
}
