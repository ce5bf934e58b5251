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
import dev.provisioning.telemetry.AdmissionLimit;

/**
 * Where assignment records wait for their job's configuration, per job and off the partition's critical path, so that
 * one unknown job never delays the records of other jobs (issue 12, "Jobs are isolated").
 *
 * <ul>
 * <li>A record of a known job with nothing of its job waiting is processed at once (the common path: two map lookups,
 * no lock, no timer).</li>
 * <li>A record of an unknown job is parked in its job's queue and not acked; the stream goes on with the next record.
 * Its poll is acked only when every record of it is (the consumer's {@link BatchCountdown}), and the commit strategy
 * {@code throttled} commits only below the oldest poll not yet acked, so a crash re-reads the parked records
 * (at-least-once).</li>
 * <li>When the job's configuration arrives ({@link #jobArrived}), its parked records are processed in arrival order, and
 * records of that job arriving meanwhile queue behind them (per-object order is kept).</li>
 * <li>When the first parked record of a job has waited {@code wait}, every record of that job parked by then is given
 * up ({@link Resolution#NEVER_CONFIGURED}); a record parked behind them waits anew once they are given up.</li>
 * <li>When the job is deleted (a tombstone, {@link #jobDeleted}), its parked records and every later one are given up
 * without waiting ({@link Resolution#DELETED}).</li>
 * <li>Memory: at most {@code capacity} records are parked, all jobs together: while that many are parked,
 * {@link #roomToPark()} holds the partition stream (back-pressure) until one is resolved. Nothing is dropped or
 * dead-lettered for want of room.</li>
 * </ul>
 *
 * <p>
 * <b>Pacing.</b> Parked records are resolved (processed or given up) through the consumer's in-flight limit
 * ({@code rooms}, {@code mapper.max-in-flight}), like records taken from Kafka: each takes one room before its
 * operation, result or dead letter is sent and gives it back when that is acked. However many records a configuration,
 * a timeout or a tombstone resolves at once (up to {@code capacity}, 10,000 by default, or many jobs at the same time),
 * at most {@code max-in-flight} sends are in flight, all paths together; that is at most the output channels'
 * {@code max-inflight-messages} (checked at start-up), so the emitters' 128-message buffers are never needed and no send
 * fails for want of room. Before, a timeout gave up all of a job's records at once: the Failures beyond the results
 * emitter's room failed, and those records were dead-lettered unanswered.
 *
 * <p>
 * Why this design: a job's records are resolved by one loop per job, in arrival order, one record per step; a step
 * waits for a room, then hands its record to the handler, whose send enters the emitter before the step ends
 * ({@link Handler}), and the next step follows without waiting for the ack. So a job's sends enter the emitters in
 * arrival order, as on the direct path, and up to {@code max-in-flight} of them are in flight (a loop that waited for
 * each ack would take over a minute for 10,000 records, past the unacked-record health limit). The job's entry goes
 * when its queue is empty, so a later record taken directly enters the emitter after the last parked one. Each step
 * resolves its record by what is known at its turn: processed if the job is known, given up if it was deleted or its
 * wait is over, else the loop stops and the rest waits anew. No deadlock: a room is held only by a record being
 * processed, whose send completes on its own; parked records hold none (over capacity the stream waits in
 * {@link #roomToPark()}, not in a room).
 *
 * <p>
 * Thread-safe: records arrive on the consumer's thread, configurations on the jobs consumer's, timeouts on the timer's;
 * the steps run on {@code executor}.
 *
 * <p>
 * <b>Stop.</b> Once the mapper stops ({@link #stop}), no parked record is resolved any more: a configuration, a
 * tombstone or the end of a wait leaves them parked, and a record admitted after is parked behind them as before. Their
 * polls are never acked, so they are consumed again after the next start (at-least-once); none is dead-lettered or
 * answered for want of a configuration that the stop, not the job, kept from arriving.
 */
final class JobWaits {

    /** Why a parked record was given up. */
    enum Resolution {
        /** The job's configuration did not arrive within the wait. */
        NEVER_CONFIGURED,
        /** The job was deleted. */
        DELETED
    }

    /**
     * What is done with a record. Both methods hand the record's send to its emitter when their Uni is subscribed
     * (synchronously), so records keep the order of the subscriptions.
     */
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
    private final AdmissionLimit rooms;
    private final ScheduledExecutorService timer;
    private final Executor executor;

    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    /** Guarded by {@code this}. */
    private final LinkedHashSet<String> deleted = new LinkedHashSet<>();
    /** The stream's wait for room to park, while {@code capacity} records are parked. Guarded by {@code this}. */
    private final List<CompletableFuture<Void>> waitingToPark = new ArrayList<>();
    /** Guarded by {@code this}. */
    private int parked;
    private volatile boolean stopped;

    /**
     * @param jobs the known job configurations by job id
     * @param handler what is done with a record
     * @param wait how long a job's records wait for its configuration
     * @param capacity how many records may be parked before the stream is held
     * @param rooms the consumer's in-flight limit: each parked record takes a room while it is resolved
     * @param timer runs the timeouts
     * @param executor runs the steps that resolve parked records
     */
    JobWaits(Function<String, Optional<JobConfig>> jobs, Handler handler, Duration wait, int capacity,
            AdmissionLimit rooms, ScheduledExecutorService timer, Executor executor) {
        this.jobs = jobs;
        this.handler = handler;
        this.wait = wait;
        this.capacity = capacity;
        this.rooms = rooms;
        this.timer = timer;
        this.executor = executor;
    }

    /** The records of one job waiting for its configuration, in arrival order. All fields guarded by JobWaits. */
    private static final class Waiting {
        final String jobId;
        final Queue<Parked> queue = new ArrayDeque<>();
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

    private record Parked(AssignmentEvent event, Message<String> message) {
    }

    /**
     * Takes one record: processes it now if its job is known and nothing of the job is waiting, else parks it.
     *
     * @return completes when the record is done: at once for a parked record, else when the record is processed (acked
     *         or nacked). A known job's record is processed synchronously: the returned Uni is the handler's
     *         {@code process}, so whoever subscribes to it at once keeps the arrival order
     */
    Uni<Void> admit(AssignmentEvent event, Message<String> message) {
        String jobId = event.jobId();
        if (waiting.isEmpty() || !waiting.containsKey(jobId)) {
            Optional<JobConfig> job = jobs.apply(jobId);
            if (job.isPresent()) {
                return handler.process(event, message, job.get());
            }
        }
        JobConfig known = null;
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
                    startWait(w);
                }
            }
            if (w != null) {
                w.queue.add(new Parked(event, message));
                parked++;
            }
        }
        if (known != null) {
            return handler.process(event, message, known);
        }
        return Uni.createFrom().voidItem();
    }

    /**
     * Completes at once while fewer than {@code capacity} records are parked, else once one is resolved (never fails).
     * The consumer waits for it before taking a record, so the stream is held while the parking is full.
     */
    Uni<Void> roomToPark() {
        return Uni.createFrom().completionStage(() -> {
            synchronized (this) {
                if (parked < capacity) {
                    return CompletableFuture.completedFuture(null);
                }
                CompletableFuture<Void> room = new CompletableFuture<>();
                waitingToPark.add(room);
                return room;
            }
        });
    }

    /** A job's configuration arrived (or changed): its parked records are processed, in order. */
    void jobArrived(String jobId) {
        Waiting w;
        synchronized (this) {
            deleted.remove(jobId);
            w = waiting.get(jobId);
            if (w == null || !startResolving(w)) {
                return;
            }
        }
        next(w);
    }

    /** A job was deleted: its parked records, and every later one, are given up without waiting. */
    void jobDeleted(String jobId) {
        Waiting w;
        synchronized (this) {
            deleted.add(jobId);
            if (deleted.size() > DELETED_JOBS_REMEMBERED) {
                Iterator<String> oldest = deleted.iterator();
                oldest.next();
                oldest.remove();
            }
            w = waiting.get(jobId);
            if (w == null || !startResolving(w)) {
                return;
            }
        }
        next(w);
    }

    /**
     * The mapper stops: no parked record is resolved from now on (a step under way finishes its record); they stay
     * parked, unacked.
     */
    void stop() {
        stopped = true;
    }

    /** How many records are parked now, all jobs together. */
    synchronized int parked() {
        return parked;
    }

    /** Starts (or restarts) the job's wait. Called holding the lock. */
    private void startWait(Waiting w) {
        long generation = ++w.generation;
        w.timeout = timer.schedule(() -> expire(w, generation), wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts the job's loop unless it runs; true if the caller must take its first step. Called holding the lock. */
    private boolean startResolving(Waiting w) {
        if (w.resolving) {
            return false;
        }
        w.resolving = true;
        w.timeout.cancel(false);
        return true;
    }

    private void expire(Waiting w, long generation) {
        synchronized (this) {
            if (stopped || waiting.get(w.jobId) != w || w.generation != generation || w.resolving) {
                return;
            }
            w.expired = w.queue.size();
            w.resolving = true;
        }
        next(w);
    }

    /** The job's next step: once a room is free, on the executor (never deeper in the caller's stack). */
    private void next(Waiting w) {
        rooms.acquire().subscribe().with(ignored -> executor.execute(() -> step(w)));
    }

    /**
     * Resolves the job's next parked record, holding a room that goes back when the record is acked or nacked, and
     * goes on with the next one; or ends the loop (queue empty: the entry goes; nothing to do yet: the rest waits anew).
     */
    private void step(Waiting w) {
        Parked next;
        JobConfig job = null;
        Resolution why = null;
        List<CompletableFuture<Void>> freed = List.of();
        synchronized (this) {
            next = w.queue.peek();
            Optional<JobConfig> known = next == null || stopped ? Optional.empty() : jobs.apply(w.jobId);
            if (stopped) {
                // the rest stays parked, its polls unacked: consumed again after the next start
                w.resolving = false;
            } else if (next == null) {
                waiting.remove(w.jobId, w);
                w.resolving = false;
            } else if (known.isPresent()) {
                job = known.get();
            } else if (deleted.contains(w.jobId)) {
                why = Resolution.DELETED;
            } else if (w.expired > 0) {
                why = Resolution.NEVER_CONFIGURED;
            } else {
                w.resolving = false;
                startWait(w);
            }
            if (job != null || why != null) {
                w.queue.poll();
                w.expired = Math.max(0, w.expired - 1);
                parked--;
                if (parked < capacity && !waitingToPark.isEmpty()) {
                    freed = new ArrayList<>(waitingToPark);
                    waitingToPark.clear();
                }
            }
        }
        if (job == null && why == null) {
            rooms.release();
            return;
        }
        Uni<Void> done = job != null
                ? handler.process(next.event(), next.message(), job)
                : handler.giveUp(next.event(), next.message(), why,
                        why == Resolution.DELETED ? Duration.ZERO : wait);
        // the send enters its emitter here, before the next step; the room goes back when it is acked or nacked
        done.subscribe().with(ignored -> rooms.release(), failure -> rooms.release());
        freed.forEach(room -> room.complete(null));
        next(w);
    }
}
