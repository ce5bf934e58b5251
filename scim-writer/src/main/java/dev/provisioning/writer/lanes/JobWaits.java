package dev.provisioning.writer.lanes;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import dev.provisioning.events.job.JobConfig;

/**
 * Where operation records wait for their job's configuration, per job and off the partition's critical path, so that
 * one unknown job never delays the records of other jobs (issue 12, "Jobs are isolated").
 *
 * <ul>
 * <li>A record of a known job with nothing of its job waiting goes on at once ({@link Parked#admit}).</li>
 * <li>A record of an unknown job waits in its job's queue, not acked; records of other jobs go on meanwhile. A later
 * record of that job queues behind it, so per-object order holds.</li>
 * <li>When the job's configuration arrives ({@link #jobArrived}), its records go on in arrival order.</li>
 * <li>{@code wait} after the first record of a job began waiting, every record of that job still waiting is given up
 * ({@link Resolution#NEVER_CONFIGURED}); a later record starts a new wait.</li>
 * <li>When the job is deleted (a tombstone, {@link #jobDeleted}), its waiting records and every later one are given
 * up at once ({@link Resolution#DELETED}).</li>
 * </ul>
 * Memory is bounded by the consumer's {@link dev.provisioning.telemetry.AdmissionLimit}. Thread-safe: records arrive
 * on the consumer's thread, configurations on the jobs consumer's, timeouts on the timer's.
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

        /** The job is known: go on with it. */
        void admit(JobConfig job);

        /** Give the record up (dead-letter it with the reason). */
        void giveUp(Resolution why, Duration waited);
    }

    /** Deleted job ids remembered, so that later records of a deleted job are given up at once; the oldest forgotten. */
    private static final int DELETED_JOBS_REMEMBERED = 10_000;

    private final Function<String, Optional<JobConfig>> jobs;
    private final Duration wait;
    private final ScheduledExecutorService timer;
    private final Map<String, Waiting> waiting = new HashMap<>();
    private final LinkedHashSet<String> deleted = new LinkedHashSet<>();
    private int parked;

    private static final class Waiting {
        final ArrayDeque<Parked> queue = new ArrayDeque<>();
        ScheduledFuture<?> timeout;
    }

    /**
     * @param jobs the known configurations by job id
     * @param wait how long a job's records wait for its configuration
     * @param timer runs the timeouts
     */
    public JobWaits(Function<String, Optional<JobConfig>> jobs, Duration wait, ScheduledExecutorService timer) {
        this.jobs = jobs;
        this.wait = wait;
        this.timer = timer;
    }

    /** Takes a record of a job: on at once when the job is known and nothing of it waits, else it waits. */
    public void offer(String jobId, Parked record) {
        JobConfig known = null;
        boolean gone = false;
        synchronized (this) {
            if (deleted.contains(jobId)) {
                gone = true;
            } else {
                Optional<JobConfig> job = jobs.apply(jobId);
                Waiting queue = waiting.get(jobId);
                if (job.isPresent() && queue == null) {
                    known = job.get();
                } else {
                    if (queue == null) {
                        queue = new Waiting();
                        waiting.put(jobId, queue);
                        queue.timeout = timer.schedule(() -> timedOut(jobId), wait.toMillis(), TimeUnit.MILLISECONDS);
                    }
                    queue.queue.add(record);
                    parked++;
                }
            }
        }
        if (gone) {
            record.giveUp(Resolution.DELETED, Duration.ZERO);
        } else if (known != null) {
            record.admit(known);
        }
    }

    /**
     * A configuration of the job arrived: its waiting records go on, in order (admitted under the lock, so that a
     * record of the job offered meanwhile cannot overtake them).
     */
    public synchronized void jobArrived(JobConfig job) {
        deleted.remove(job.jobId());
        take(job.jobId()).forEach(record -> record.admit(job));
    }

    /** The job was deleted: its waiting records, and every later one, are given up. */
    public void jobDeleted(String jobId) {
        List<Parked> gone;
        synchronized (this) {
            deleted.add(jobId);
            if (deleted.size() > DELETED_JOBS_REMEMBERED) {
                deleted.remove(deleted.iterator().next());
            }
            gone = take(jobId);
        }
        gone.forEach(record -> record.giveUp(Resolution.DELETED, Duration.ZERO));
    }

    /** Whether the job was deleted (a tombstone was read, and no configuration since). */
    public synchronized boolean isDeleted(String jobId) {
        return deleted.contains(jobId);
    }

    /** Records waiting for their job. */
    public synchronized int parked() {
        return parked;
    }

    private void timedOut(String jobId) {
        List<Parked> expired;
        synchronized (this) {
            expired = take(jobId);
        }
        expired.forEach(record -> record.giveUp(Resolution.NEVER_CONFIGURED, wait));
    }

    private List<Parked> take(String jobId) {
        Waiting queue = waiting.remove(jobId);
        if (queue == null) {
            return List.of();
        }
        if (queue.timeout != null) {
            queue.timeout.cancel(false);
        }
        parked -= queue.queue.size();
        return new ArrayList<>(queue.queue);
    }
}
