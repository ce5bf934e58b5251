package dev.provisioning.events.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The latest configuration of every job, as read from the compacted {@code provisioning.jobs} topic. Services that
 * act on events look their job up here; an event may arrive before its job's configuration, and a request may name a
 * revision that was just published, so callers can wait for a job ({@link #await(String)}) or for a revision of it
 * ({@link #await(String, long)}). Thread-safe.
 */
public final class JobDirectory {

    private final Map<String, JobConfig> jobs = new ConcurrentHashMap<>();
    /** Callers waiting for a job to reach a revision; guarded by itself. */
    private final Map<String, List<Waiter>> waiting = new HashMap<>();

    private record Waiter(long minRevision, CompletableFuture<JobConfig> future) {
    }

    /** Records a job's configuration, unless a later revision is already known. */
    public void put(JobConfig job) {
        JobConfig kept = jobs.merge(job.jobId(), job, (old, neu) -> neu.revision() >= old.revision() ? neu : old);
        List<Waiter> ready = new ArrayList<>();
        synchronized (waiting) {
            List<Waiter> waiters = waiting.get(job.jobId());
            if (waiters != null) {
                for (Iterator<Waiter> it = waiters.iterator(); it.hasNext();) {
                    Waiter waiter = it.next();
                    if (kept.revision() >= waiter.minRevision()) {
                        ready.add(waiter);
                        it.remove();
                    }
                }
                if (waiters.isEmpty()) {
                    waiting.remove(job.jobId());
                }
            }
        }
        // completed outside the lock: a waiter's continuation may run on this thread
        ready.forEach(waiter -> waiter.future().complete(kept));
    }

    /** Forgets a deleted job (a tombstone on the topic). */
    public void remove(String jobId) {
        jobs.remove(jobId);
    }

    /** Whether every job known now matches {@code test} (true when none is known). */
    public boolean allMatch(Predicate<JobConfig> test) {
        return jobs.values().stream().allMatch(test);
    }

    public Optional<JobConfig> find(String jobId) {
        return Optional.ofNullable(jobs.get(jobId));
    }

    /** Completes with the job's configuration as soon as it is known. */
    public CompletableFuture<JobConfig> await(String jobId) {
        return await(jobId, Long.MIN_VALUE);
    }

    /**
     * Completes with the job's configuration as soon as its revision is {@code minRevision} or later (the latest known
     * then). Callers bound the wait themselves and cancel the future when they give up (which forgets it).
     */
    public CompletableFuture<JobConfig> await(String jobId, long minRevision) {
        JobConfig known = jobs.get(jobId);
        if (known != null && known.revision() >= minRevision) {
            return CompletableFuture.completedFuture(known);
        }
        CompletableFuture<JobConfig> future = new CompletableFuture<>();
        synchronized (waiting) {
            // the revision may have arrived between the lookup and the registration
            known = jobs.get(jobId);
            if (known != null && known.revision() >= minRevision) {
                return CompletableFuture.completedFuture(known);
            }
            Waiter waiter = new Waiter(minRevision, future);
            waiting.computeIfAbsent(jobId, id -> new ArrayList<>()).add(waiter);
            future.whenComplete((job, failure) -> {
                if (future.isCancelled()) {
                    forget(jobId, waiter);
                }
            });
        }
        return future;
    }

    private void forget(String jobId, Waiter waiter) {
        synchronized (waiting) {
            List<Waiter> waiters = waiting.get(jobId);
            if (waiters != null && waiters.remove(waiter) && waiters.isEmpty()) {
                waiting.remove(jobId);
            }
        }
    }

    public int size() {
        return jobs.size();
    }
}
