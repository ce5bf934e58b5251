package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.provisioning.detector.cycle.RunningCounts.Step;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.job.QuarantineRules;
import dev.provisioning.detector.persistence.CycleRepository.Increment;

/**
 * The counts each result of a batch is judged with are those one-by-one handling would have read right after
 * recording it.
 */
class RunningCountsTest {

    private static final Instant STARTED = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void eachResultSeesItsCycleRightAfterItWasCounted() {
        Map<String, Cycle> after = Map.of("a", cycle("a", 14, 12, 6), "b", cycle("b", 3, 3, 0));
        List<Step> steps = List.of(
                step("a", ok()), // a: 11 received, 10 operations, 4 failed after it
                step("a", failure()), // 12, 11, 5
                step("b", ok()), // b: 3, 3, 0 (its last)
                new Step("a", false, null), // a redelivered failure: counted before, adds nothing: 12, 11, 5
                new Step("a", true, null), // a later outcome: judged without its cycle
                step("a", skipped()), // 13, 11, 5
                step("a", failure())); // a's last: the counts after the batch
        List<Optional<Cycle>> seen = RunningCounts.asSeen(steps, after);

        assertThat(seen).map(c -> c.map(x -> x.results().received() + "/" + x.results().operations() + "/"
                + x.results().failed()).orElse("none"))
                .containsExactly("11/10/4", "12/11/5", "3/3/0", "12/11/5", "none", "13/11/5", "14/12/6");
        // what else the rules read is the cycle's own
        assertThat(seen.get(0).orElseThrow().startedAt()).isEqualTo(STARTED);
        assertThat(seen.get(0).orElseThrow().stage()).isEqualTo(Cycle.Stage.EMITTED);
    }

    @Test
    void aCycleThatDoesNotExistIsNotGiven() {
        assertThat(RunningCounts.asSeen(List.of(step("gone", failure())), Map.of())).containsExactly(Optional.empty());
    }

    @Test
    void aBatchReadsWhatOneByOneReadsForAnyMixOfResultsAndCycles() {
        Random random = new Random(13);
        for (int round = 0; round < 200; round++) {
            List<String> ids = List.of("a", "b", "c");
            Map<String, long[]> running = new HashMap<>();
            for (String id : ids) {
                running.put(id, new long[]{random.nextInt(50), random.nextInt(40), random.nextInt(20)});
            }
            List<Step> steps = new ArrayList<>();
            List<String> oneByOne = new ArrayList<>();
            for (int i = 0; i < 1 + random.nextInt(40); i++) {
                String id = ids.get(random.nextInt(ids.size()));
                int kind = random.nextInt(5);
                Step step = switch (kind) {
                    case 0 -> step(id, ok());
                    case 1 -> step(id, failure());
                    case 2 -> step(id, skipped());
                    case 3 -> new Step(id, false, null);
                    default -> new Step(id, true, null);
                };
                steps.add(step);
                long[] counts = running.get(id);
                if (step.added() != null) {
                    counts[0] += step.added().results();
                    counts[1] += step.added().operations();
                    counts[2] += step.added().failed();
                }
                oneByOne.add(step.laterOutcome() ? "none" : counts[0] + "/" + counts[1] + "/" + counts[2]);
            }
            Map<String, Cycle> after = new HashMap<>();
            running.forEach((id, c) -> after.put(id, cycle(id, c[0], (int) c[1], (int) c[2])));

            assertThat(RunningCounts.asSeen(steps, after)).map(c -> c.map(x -> x.results().received() + "/"
                    + x.results().operations() + "/" + x.results().failed()).orElse("none"))
                    .as("round %d", round).containsExactlyElementsOf(oneByOne);
        }
    }

    @Test
    void theQuarantineOfABurstNamesTheCountsOfTheFailureThatTippedIt() {
        // one poll holding the end of 7,500 successes and 5,300 failures: the rules tip at the 5,001st failure
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < 5_300; i++) {
            steps.add(step("a", failure()));
        }
        List<Optional<Cycle>> seen = RunningCounts.asSeen(steps, Map.of("a", cycle("a", 12_800, 12_800, 5_300)));
        Optional<String> first = seen.stream().map(c -> c.orElseThrow().results())
                .map(r -> QuarantineRules.failureReason(r.failed(), r.operations())).flatMap(Optional::stream)
                .findFirst();
        assertThat(first).hasValueSatisfying(reason -> assertThat(reason).startsWith("5001 of 12501 operations"));
    }

    private static Step step(String cycleId, Increment added) {
        return new Step(cycleId, false, new Increment(cycleId, added.results(), added.operations(), added.failed(),
                false));
    }

    private static Increment ok() {
        return new Increment(null, 1, 1, 0, false);
    }

    private static Increment failure() {
        return new Increment(null, 1, 1, 1, false);
    }

    private static Increment skipped() {
        return new Increment(null, 1, 0, 0, false);
    }

    private static Cycle cycle(String id, long received, int operations, int failed) {
        return new Cycle(id, "job", false, Cycle.Stage.EMITTED, STARTED, STARTED, 20_000,
                new Cycle.Results(received, operations, failed, false), null, null, 0);
    }
}
