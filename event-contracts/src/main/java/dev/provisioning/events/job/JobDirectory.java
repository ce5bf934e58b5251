package dev.provisioning.events.job;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest configuration of every job, as read from the compacted {@code provisioning.jobs} topic. Services that
 * act on events look their job up here; an event may arrive before its job's configuration, so callers can wait for
 * it with {@link #await(String)}. Thread-safe.
 */
public final class JobDirectory {

    private final Map<String, JobConfig> jobs = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<JobConfig>> waiting = new ConcurrentHashMap<>();

    /** Records a job's configuration, unless a later revision is already known. */
    public void put(JobConfig job) {
        JobConfig kept = jobs.merge(job.jobId(), job, (old, neu) -> neu.revision() >= old.revision() ? neu : old);
        CompletableFuture<JobConfig> waiter = waiting.remove(job.jobId());
        if (waiter != null) {
            waiter.complete(kept);
        }
    }

    /** Forgets a deleted job (a tombstone on the topic). */
    public void remove(String jobId) {
        jobs.remove(jobId);
    }

    public Optional<JobConfig> find(String jobId) {
        return Optional.ofNullable(jobs.get(jobId));
    }

    /** Completes with the job's configuration as soon as it is known. */
    public CompletableFuture<JobConfig> await(String jobId) {
        JobConfig known = jobs.get(jobId);
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        CompletableFuture<JobConfig> waiter = waiting.computeIfAbsent(jobId, id -> new CompletableFuture<>());
        // the job may have arrived between the lookup and the registration
        known = jobs.get(jobId);
        if (known != null) {
            waiting.remove(jobId, waiter);
            waiter.complete(known);
        }
        return waiter;
    }

    public int size() {
        return jobs.size();
    }
}
