package dev.provisioning.mapper.messaging;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.mutiny.Uni;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.job.JobConfig;

/**
 * Where assignment records wait for their job's configuration, per job and off the partition's critical path, so that
 * one unknown job never delays the records of other jobs (issue 12, "Jobs are isolated").
 *
 * <ul>
 * <li>A record of a known job with nothing of its job waiting is processed at once (the common path: two map lookups,
 * no lock, no timer).</li>
 * <li>A record of an unknown job is parked in its job's queue and not acked; the stream goes on with the next record.
 * The commit strategy {@code throttled} commits only below the oldest record not yet acked, so a crash re-reads the
 * parked records (at-least-once).</li>
 * <li>When the job's configuration arrives ({@link #jobArrived}), its parked records are processed in arrival order, and
 * records of that job arriving meanwhile queue behind them (per-object order is kept).</li>
 * <li>When the first parked record of a job has waited {@code wait}, every record of that job still parked is given up
 * ({@link Resolution#NEVER_CONFIGURED}); a later record of the job starts a new wait.</li>
 * <li>When the job is deleted (a tombstone, {@link #jobDeleted}), its parked records and every later one are given up
 * at once ({@link Resolution#DELETED}), without waiting.</li>
 * <li>Memory: at most {@code capacity} records are parked, all jobs together. A record beyond that is still parked, but
 * the caller's Uni completes only once the record is resolved; the consumer keeps that record's in-flight room until
 * then ({@code mapper.max-in-flight}), so at most {@code capacity + max-in-flight} are parked before the partition
 * stream is held (back-pressure). Nothing is dropped or dead-lettered for want of room.</li>
 * </ul>
 *
 * Thread-safe: records arrive on the consumer's thread, configurations on the jobs consumer's, timeouts on the timer's.
 */
final class JobWaits {

    /** Why a parked record was given up. */
    enum Resolution {
        /** The job's configuration did not arrive within the wait. */
        NEVER_CONFIGURED,
        /** The job was deleted. */
        DELETED
    }

    /** What is done with a record. */
    interface Handler {

        /** Processes a record of a known job and acks it (or nacks it on failure); never fails. */
        Uni<Void> process(AssignmentEvent event, Message<String> message, JobConfig job);

        /** Gives a record up (dead-letter with the reason); never fails. */
        Uni<Void> giveUp(AssignmentEvent event, Message<String> message, Resolution why, Duration waited);
    }

    /** Deleted job ids remembered, so later records of a deleted job are not parked again; the oldest are forgotten. */
    private static final int DELETED_JOBS_REMEMBERED = 10_000;

    private final Function<String, Optional<JobConfig>> jobs;
    private final Handler handler;
    private final Duration wait;
    private final int capacity;
    private final ScheduledExecutorService timer;
    private final Executor executor;

    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    /** Guarded by {@code this}. */
    private final LinkedHashSet<String> deleted = new LinkedHashSet<>();
    /** Guarded by {@code this}. */
    private int parked;

    /**
     * @param jobs the known job configurations by job id
     * @param handler what is done with a record
     * @param wait how long a job's records wait for its configuration
     * @param capacity how many records may be parked before the stream is held
     * @param timer runs the timeouts
     * @param executor drains the records of a job whose configuration arrived
     */
    JobWaits(Function<String, Optional<JobConfig>> jobs, Handler handler, Duration wait, int capacity,
            ScheduledExecutorService timer, Executor executor) {
        this.jobs = jobs;
        this.handler = handler;
        this.wait = wait;
        this.capacity = capacity;
        this.timer = timer;
        this.executor = executor;
    }

    /** The records of one job waiting for its configuration, in arrival order. */
    private static final class Waiting {
        final String jobId;
        final Queue<Parked> queue = new ArrayDeque<>();
        ScheduledFuture<?> timeout;
        boolean draining;

        Waiting(String jobId) {
            this.jobId = jobId;
        }
    }

    private record Parked(AssignmentEvent event, Message<String> message, CompletableFuture<Void> resolved) {
    }

    /**
     * Takes one record: processes it now if its job is known and nothing of the job is waiting, else parks it.
     *
     * @return completes when the record is done: at once for a parked record (unless the room is full), else when the
     *         record is processed (acked or nacked). A known job's record is processed synchronously: the returned Uni
     *         is the handler's {@code process}, so whoever subscribes to it at once keeps the arrival order
     */
    Uni<Void> admit(AssignmentEvent event, Message<String> message) {
        String jobId = event.jobId();
        if (waiting.isEmpty() || !waiting.containsKey(jobId)) {
            Optional<JobConfig> job = jobs.apply(jobId);
            if (job.isPresent()) {
                return handler.process(event, message, job.get());
            }
        }
        Parked parkedRecord = null;
        JobConfig known = null;
        boolean full = false;
        synchronized (this) {
            Waiting w = waiting.get(jobId);
            if (w == null) {
                Optional<JobConfig> job = jobs.apply(jobId);
                if (job.isPresent()) {
                    // arrived since the lookup above, and nothing of it waits
                    known = job.get();
                } else if (deleted.contains(jobId)) {
                    return handler.giveUp(event, message, Resolution.DELETED, Duration.ZERO);
                } else {
                    w = new Waiting(jobId);
                    waiting.put(jobId, w);
                    Waiting started = w;
                    w.timeout = timer.schedule(() -> expire(started), wait.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            if (w != null) {
                parkedRecord = new Parked(event, message, new CompletableFuture<>());
                w.queue.add(parkedRecord);
                parked++;
                full = parked > capacity;
            }
        }
        if (known != null) {
            return handler.process(event, message, known);
        }
        return full ? Uni.createFrom().completionStage(parkedRecord.resolved()) : Uni.createFrom().voidItem();
    }

    /** A job's configuration arrived (or changed): its parked records are processed, in order. */
    void jobArrived(String jobId) {
        Waiting w;
        synchronized (this) {
            deleted.remove(jobId);
            w = waiting.get(jobId);
            if (w == null || w.draining) {
                return;
            }
            w.draining = true;
            w.timeout.cancel(false);
        }
        executor.execute(() -> drain(w));
    }

    /** A job was deleted: its parked records, and every later one, are given up at once. */
    void jobDeleted(String jobId) {
        List<Parked> gone = List.of();
        synchronized (this) {
            deleted.add(jobId);
            if (deleted.size() > DELETED_JOBS_REMEMBERED) {
                Iterator<String> oldest = deleted.iterator();
                oldest.next();
                oldest.remove();
            }
            Waiting w = waiting.get(jobId);
            if (w != null && !w.draining) {
                waiting.remove(jobId);
                w.timeout.cancel(false);
                gone = takeAll(w);
            }
        }
        gone.forEach(p -> giveUp(p, Resolution.DELETED, Duration.ZERO));
    }

    /** How many records are parked now, all jobs together. */
    synchronized int parked() {
        return parked;
    }

    private void expire(Waiting w) {
        List<Parked> gone;
        synchronized (this) {
            if (waiting.get(w.jobId) != w || w.draining) {
                return;
            }
            waiting.remove(w.jobId);
            gone = takeAll(w);
        }
        gone.forEach(p -> giveUp(p, Resolution.NEVER_CONFIGURED, wait));
    }

    /** Processes the parked records of a job one after the other; the job's entry goes once its queue is empty. */
    private void drain(Waiting w) {
        Parked next;
        synchronized (this) {
            next = w.queue.poll();
            if (next == null) {
                waiting.remove(w.jobId, w);
                return;
            }
            parked--;
        }
        Optional<JobConfig> job = jobs.apply(w.jobId);
        Uni<Void> done = job.isPresent()
                ? handler.process(next.event(), next.message(), job.get())
                : handler.giveUp(next.event(), next.message(), Resolution.DELETED, Duration.ZERO);
        done.subscribe().with(ignored -> {
            next.resolved().complete(null);
            executor.execute(() -> drain(w));
        }, failure -> {
            next.resolved().complete(null);
            executor.execute(() -> drain(w));
        });
    }

    /** Empties a job's queue. Called holding the lock. */
    private List<Parked> takeAll(Waiting w) {
        List<Parked> all = new ArrayList<>(w.queue);
        w.queue.clear();
        parked -= all.size();
        return all;
    }

    private void giveUp(Parked p, Resolution why, Duration waited) {
        handler.giveUp(p.event(), p.message(), why, waited).subscribe().with(
                ignored -> p.resolved().complete(null),
                failure -> p.resolved().complete(null));
    }
}
