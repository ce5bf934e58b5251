package dev.provisioning.writer.lanes;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.smallrye.mutiny.Uni;

import dev.provisioning.events.job.JobConfig;
import dev.provisioning.telemetry.AdmissionLimit;

/**
 * Where operation records wait for their job's configuration, per job and off the partition's critical path, so that
 * one unknown job never delays the records of other jobs (issue 12, "Jobs are isolated").
 *
 * <ul>
 * <li>A record of a known job with nothing of its job waiting goes on at once ({@link Parked#admit}).</li>
 * <li>A record of an unknown job waits in its job's queue, not acked; records of other jobs go on meanwhile. A later
 * record of that job queues behind it, so per-object order holds.</li>
 * <li>When the job's configuration arrives ({@link #jobArrived}), its records go on in arrival order.</li>
 * <li>{@code wait} after the first record of a job began waiting, every record of that job waiting by then is given up
 * ({@link Resolution#NEVER_CONFIGURED}); a record parked behind them waits anew once they are given up.</li>
 * <li>When the job is deleted (a tombstone, {@link #jobDeleted}), its waiting records and every later one are given
 * up without waiting ({@link Resolution#DELETED}).</li>
 * </ul>
 * Memory: every record here holds a room of the consumer's admission limit ({@code writer.lanes.max-records}) until it
 * is acked, so at most that many wait.
 *
 * <p>
 * <b>Pacing.</b> A job's records are resolved (admitted into their lane, or given up) by one loop per job, in arrival
 * order, one record per step, each step holding a room of {@code sends}, the consumer's bound on dead-letter sends in
 * flight: a given-up record keeps its room until its Failure result and dead letter are acked; an admitted one gives it
 * back at once (its lane paces its own work). However many records a timeout, a tombstone or a configuration resolves
 * at once (up to {@code writer.lanes.max-records}, 2,000 by default, or many jobs at the same time), at most
 * {@code sends}' bound of give-ups are in flight, within the output channels' {@code max-inflight-messages}, so the
 * emitters' 128-message buffers are never needed and no send fails for want of room. Before, a timeout gave up all of
 * a job's records at once: 6,000 records of a never-configured job lost 2,747 Failures ({@code SRMSG00034
 * Insufficient downstream requests}), their records were nacked and the operations channel failed.
 *
 * <p>
 * Why this design: a step hands its record's first send to the emitter before it ends ({@link Parked#giveUp}) and the
 * next step follows without waiting for the ack, so a job's sends enter the emitters in arrival order and up to the
 * bound are in flight (one at a time would take minutes for 10,000 records). The job's entry goes when its queue is
 * empty, so a later record of the job cannot overtake its parked ones. Each step resolves its record by what is known
 * at its turn: given up if the job was deleted, admitted if it is known, given up if its wait is over, else the loop
 * stops and the rest waits anew. No deadlock: a room of {@code sends} is held only by a record being given up, whose
 * sends complete on their own; parked records hold none.
 *
 * <p>
 * Thread-safe: records arrive on the consumer's thread, configurations and tombstones on the jobs consumer's, timeouts
 * on the timer's; the steps run on {@code executor}.
 */
public final class JobWaits {

    /** Why a waiting record was given up. */
    public enum Resolution {
        /** The job's configuration did not arrive within the wait. */
        NEVER_CONFIGURED,
        /** The job was deleted. */
        DELETED
    }

    /** A record that waits for its job. */
    public interface Parked {

        /** The job is known: go on with it (into its lane; no send here). Never fails. */
        void admit(JobConfig job);

        /**
         * Gives the record up (answers and dead-letters it with the reason). Its first send enters its emitter when the
         * returned Uni is subscribed (synchronously), so records keep the order of the subscriptions.
         *
         * @return completes when the record is done (its sends acked, or it was nacked); never fails
         */
        Uni<Void> giveUp(Resolution why, Duration waited);
    }

    /** Deleted job ids remembered, so that later records of a deleted job are given up at once; the oldest forgotten. */
    private static final int DELETED_JOBS_REMEMBERED = 10_000;

    private final Function<String, Optional<JobConfig>> jobs;
    private final Duration wait;
    private final AdmissionLimit sends;
    private final ScheduledExecutorService timer;
    private final Executor executor;
    /** Guarded by {@code this}. */
    private final Map<String, Waiting> waiting = new HashMap<>();
    /** Guarded by {@code this}. */
    private final LinkedHashSet<String> deleted = new LinkedHashSet<>();
    /** Guarded by {@code this}. */
    private int parked;

    /** The records of one job, in arrival order. All fields guarded by the {@link JobWaits} instance. */
    private static final class Waiting {
        final String jobId;
        final ArrayDeque<Parked> queue = new ArrayDeque<>();
        ScheduledFuture<?> timeout;
        /** Which wait is current: a timeout of an earlier one does nothing. */
        long generation;
        /** How many records at the head of the queue have waited long enough. */
        int expired;
        /** Whether the job's loop is resolving records (then no timeout is pending). */
        boolean resolving;

        Waiting(String jobId) {
            this.jobId = jobId;
        }
    }

    /**
     * @param jobs the known configurations by job id
     * @param wait how long a job's records wait for its configuration
     * @param sends the consumer's bound on give-ups in flight: each record given up holds a room until it is done
     * @param timer runs the timeouts
     * @param executor runs the steps that resolve waiting records
     */
    public JobWaits(Function<String, Optional<JobConfig>> jobs, Duration wait, AdmissionLimit sends,
            ScheduledExecutorService timer, Executor executor) {
        this.jobs = jobs;
        this.wait = wait;
        this.sends = sends;
        this.timer = timer;
        this.executor = executor;
    }

    /**
     * Takes a record of a job: on at once (synchronously) when the job is known and nothing of it waits, else it waits;
     * a deleted job's record is given up by the job's loop, behind the job's other records.
     */
    public void offer(String jobId, Parked record) {
        JobConfig known = null;
        Waiting start = null;
        synchronized (this) {
            Waiting w = waiting.get(jobId);
            if (w == null) {
                boolean gone = deleted.contains(jobId);
                Optional<JobConfig> job = gone ? Optional.empty() : jobs.apply(jobId);
                if (job.isPresent()) {
                    known = job.get();
                } else {
                    w = new Waiting(jobId);
                    waiting.put(jobId, w);
                    if (gone) {
                        w.resolving = true;
                        start = w;
                    } else {
                        startWait(w);
                    }
                }
            }
            if (w != null) {
                w.queue.add(record);
                parked++;
            }
        }
        if (known != null) {
            record.admit(known);
        } else if (start != null) {
            next(start);
        }
    }

    /** A configuration of the job arrived (or changed): its waiting records go on, in order. */
    public void jobArrived(JobConfig job) {
        Waiting w;
        synchronized (this) {
            deleted.remove(job.jobId());
            w = waiting.get(job.jobId());
            if (w == null || !startResolving(w)) {
                return;
            }
        }
        next(w);
    }

    /** The job was deleted: its waiting records, and every later one, are given up without waiting. */
    public void jobDeleted(String jobId) {
        Waiting w;
        synchronized (this) {
            deleted.add(jobId);
            if (deleted.size() > DELETED_JOBS_REMEMBERED) {
                deleted.remove(deleted.iterator().next());
            }
            w = waiting.get(jobId);
            if (w == null || !startResolving(w)) {
                return;
            }
        }
        next(w);
    }

    /** Whether the job was deleted (a tombstone was read, and no configuration since). */
    public synchronized boolean isDeleted(String jobId) {
        return deleted.contains(jobId);
    }

    /** Records waiting for their job (or to be given up). */
    public synchronized int parked() {
        return parked;
    }

    /** Starts (or restarts) the job's wait. Called holding the lock. */
    private void startWait(Waiting w) {
        long generation = ++w.generation;
        w.timeout = timer.schedule(() -> timedOut(w, generation), wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts the job's loop unless it runs; true if the caller must take its first step. Called holding the lock. */
    private boolean startResolving(Waiting w) {
        if (w.resolving) {
            return false;
        }
        w.resolving = true;
        if (w.timeout != null) {
            w.timeout.cancel(false);
        }
        return true;
    }

    private void timedOut(Waiting w, long generation) {
        synchronized (this) {
            if (waiting.get(w.jobId) != w || w.generation != generation || w.resolving) {
                return;
            }
            w.expired = w.queue.size();
            w.resolving = true;
        }
        next(w);
    }

    /** The job's next step: once a room is free, on the executor (never deeper in the caller's stack). */
    private void next(Waiting w) {
        sends.acquire().subscribe().with(ignored -> executor.execute(() -> step(w)));
    }

    /**
     * Resolves the job's next record, holding a room of {@code sends}, and goes on with the next one; or ends the loop
     * (queue empty: the entry goes; nothing to do yet: the rest waits anew).
     */
    private void step(Waiting w) {
        Parked next;
        JobConfig job = null;
        Resolution why = null;
        synchronized (this) {
            next = w.queue.peek();
            if (next == null) {
                waiting.remove(w.jobId, w);
                w.resolving = false;
            } else if (deleted.contains(w.jobId)) {
                why = Resolution.DELETED;
            } else {
                Optional<JobConfig> known = jobs.apply(w.jobId);
                if (known.isPresent()) {
                    job = known.get();
                } else if (w.expired > 0) {
                    why = Resolution.NEVER_CONFIGURED;
                } else {
                    w.resolving = false;
                    startWait(w);
                }
            }
            if (job != null || why != null) {
                w.queue.poll();
                w.expired = Math.max(0, w.expired - 1);
                parked--;
            }
        }
        if (job != null) {
            try {
                next.admit(job);
            } finally {
                sends.release();
                next(w);
            }
        } else if (why != null) {
            Uni<Void> done;
            try {
                done = next.giveUp(why, why == Resolution.DELETED ? Duration.ZERO : wait);
            } catch (RuntimeException e) {
                done = Uni.createFrom().failure(e);
            }
            // the first send enters its emitter here, before the next step; the room goes back when the record is done
            done.subscribe().with(ignored -> sends.release(), failure -> sends.release());
            next(w);
        } else {
            sends.release();
        }
    }
}
