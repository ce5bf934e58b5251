package dev.provisioning.detector.cycle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.CycleRepository.Increment;

/**
 * The cycle each result of a batch is judged with ({@link dev.provisioning.detector.job.ProvisioningJob#afterResult}),
 * so that a batch is judged exactly as the same results one at a time: each result sees its cycle's counts right after
 * it was counted, that is the counts after the whole batch minus what the batch's later results of that cycle added.
 * The quarantine rules ({@link dev.provisioning.detector.job.QuarantineRules}) then quarantine at the same result, with
 * the same "N of M operations", as when every result was stored and read back alone. Plain Java.
 *
 * <p>
 * Only the counts ({@link Cycle.Results#received()}, {@code operations}, {@code failed}) are taken back; the other
 * fields (stage, start, {@code managedUsersChanged}, finish) are the cycle's after the batch, which is what the rules
 * read of them.
 */
final class RunningCounts {

    private RunningCounts() {
    }

    /**
     * One result of the batch as its cycle saw it.
     *
     * @param cycleId the result's cycle
     * @param laterOutcome the result is a later outcome ({@code retryOf}): it is judged without a cycle, as always
     * @param added what it added to its cycle's counts: null when it added nothing (already recorded, later outcome)
     */
    record Step(String cycleId, boolean laterOutcome, Increment added) {
    }

    /**
     * The cycle each step is judged with, in the order of {@code steps}: empty for a later outcome and for a cycle not
     * in {@code after} (no such cycle).
     *
     * @param steps the batch's results in the order they were recorded
     * @param after each cycle as stored after the whole batch was counted, by id
     */
    static List<Optional<Cycle>> asSeen(List<Step> steps, Map<String, Cycle> after) {
        List<Optional<Cycle>> seen = new ArrayList<>(Collections.nCopies(steps.size(), Optional.empty()));
        // what the results after the current one added, per cycle: walked from the last result back
        Map<String, long[]> later = new HashMap<>();
        for (int i = steps.size() - 1; i >= 0; i--) {
            Step step = steps.get(i);
            Cycle cycle = after.get(step.cycleId());
            if (step.laterOutcome() || cycle == null) {
                continue;
            }
            long[] sum = later.computeIfAbsent(step.cycleId(), id -> new long[3]);
            Cycle.Results r = cycle.results();
            seen.set(i, Optional.of(new Cycle(cycle.id(), cycle.jobId(), cycle.full(), cycle.stage(),
                    cycle.startedAt(), cycle.emittedAt(), cycle.eventsEmitted(),
                    new Cycle.Results(r.received() - sum[0], (int) (r.operations() - sum[1]),
                            (int) (r.failed() - sum[2]), r.managedUsersChanged()),
                    cycle.finishedAt(), cycle.error(), cycle.danglingReferences())));
            if (step.added() != null) {
                sum[0] += step.added().results();
                sum[1] += step.added().operations();
                sum[2] += step.added().failed();
            }
        }
        return seen;
    }
}
