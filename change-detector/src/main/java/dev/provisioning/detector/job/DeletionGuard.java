package dev.provisioning.detector.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.mapping.Decision;

/**
 * Entra's accidental-deletion threshold for one cycle. Plain Java: the events the mapping engine turns into a disable
 * or a delete of an object the job manages in Druva are counted; above the threshold they are all held (Entra's
 * StagedDelete) until the administrator allows them or restarts the job.
 */
public final class DeletionGuard {

    private DeletionGuard() {
    }

    /**
     * @param emit the events to send now
     * @param held the disables and deletes held back (empty when the threshold is not exceeded)
     */
    public record Split(List<AssignmentEvent> emit, List<AssignmentEvent> held) {
    }

    /**
     * @param threshold disables + deletes allowed in one cycle; 0 or less means no threshold
     * @param managed ids of the objects the job has created or updated in Druva
     * @param decide the mapping engine's decision for an event
     */
    public static Split split(List<AssignmentEvent> events, int threshold, Set<String> managed,
            Function<AssignmentEvent, Decision> decide) {
        if (threshold <= 0) {
            return new Split(events, List.of());
        }
        List<AssignmentEvent> emit = new ArrayList<>();
        List<AssignmentEvent> deletions = new ArrayList<>();
        for (AssignmentEvent event : events) {
            if (managed.contains(event.objectId()) && removes(decide.apply(event))) {
                deletions.add(event);
            } else {
                emit.add(event);
            }
        }
        if (deletions.size() <= threshold) {
            return new Split(events, List.of());
        }
        return new Split(emit, deletions);
    }

    private static boolean removes(Decision decision) {
        return decision instanceof Decision.Disable || decision instanceof Decision.Delete;
    }
}
