package dev.provisioning.detector.cycle;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The cycles running on this replica, by job id, each with its {@link Stop} flag: deleting a job stops its cycle here
 * before the cycle's next event ({@link #stop}), instead of at the cycle's next heartbeat (every third of
 * {@code detector.cycle-lease}). A cycle registers its flag before its first write and unregisters it when it ends;
 * a cycle of the job running on another replica is not known here and learns of the deletion at that replica's next
 * heartbeat. In memory only: nothing to recover after a restart, when no cycle runs.
 */
@ApplicationScoped
public class RunningCycles {

    /** Job id to the flags of its cycles running here (one, except briefly after this replica took its own over). */
    private final Map<String, Set<Stop>> running = new ConcurrentHashMap<>();
    /** Set by {@link #stopAll}: a cycle registered from then on is told to stop at once. */
    private volatile boolean stopping;

    /**
     * Why a running cycle must stop, set once (the first reason wins): the cycle checks it before each event it sends
     * and before it moves the snapshot.
     */
    public static final class Stop {

        private final AtomicReference<RuntimeException> reason = new AtomicReference<>();

        /**
         * Asks the cycle to stop.
         *
         * @return false when it was already asked (for this or another reason, which is kept)
         */
        boolean set(RuntimeException why) {
            return reason.compareAndSet(null, why);
        }

        /** Why the cycle must stop, or null while it may go on. */
        RuntimeException reason() {
            return reason.get();
        }
    }

    /** A cycle of {@code jobId} starts running here with {@code stop} as its flag. */
    void register(String jobId, Stop stop) {
        running.compute(jobId, (id, stops) -> {
            Set<Stop> all = stops == null ? ConcurrentHashMap.newKeySet() : stops;
            all.add(stop);
            return all;
        });
        // looked at after the flag is added: either stopAll's walk sees the flag, or this sees stopAll's mark
        if (stopping) {
            stop.set(new CycleRunner.DetectorStopping());
        }
    }

    /** The cycle with {@code stop} as its flag ended (however it ended). */
    void unregister(String jobId, Stop stop) {
        running.computeIfPresent(jobId, (id, stops) -> {
            stops.remove(stop);
            return stops.isEmpty() ? null : stops;
        });
    }

    /**
     * The job was deleted (its deletion committed): its cycles running here stop before their next event, with
     * {@link CycleRunner.JobDeleted} as the reason. Nothing when none runs here (no cycle, or one on another replica).
     *
     * @return how many running cycles were told to stop (0 or 1 in practice)
     */
    public int stop(String jobId) {
        Set<Stop> stops = running.get(jobId);
        if (stops == null) {
            return 0;
        }
        int stopped = 0;
        for (Stop stop : stops) {
            if (stop.set(new CycleRunner.JobDeleted(jobId))) {
                stopped++;
            }
        }
        return stopped;
    }

    /**
     * The detector stops: every cycle running here, and every one registered from now on, stops before its next event
     * with {@link CycleRunner.DetectorStopping} as the reason (a cycle that emitted all its events goes on to its end).
     *
     * @return how many running cycles were told to stop
     */
    public int stopAll() {
        stopping = true;
        int stopped = 0;
        for (Set<Stop> stops : running.values()) {
            for (Stop stop : stops) {
                if (stop.set(new CycleRunner.DetectorStopping())) {
                    stopped++;
                }
            }
        }
        return stopped;
    }

    /** Whether a cycle of {@code jobId} runs here now. */
    boolean running(String jobId) {
        return running.containsKey(jobId);
    }
}
