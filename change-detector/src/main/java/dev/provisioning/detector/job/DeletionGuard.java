package dev.provisioning.detector.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.mapping.Decision;
import dev.provisioning.telemetry.Plural;

/**
 * The safety nets of one cycle against deleting the people a job serves. Plain Java.
 * <ul>
 * <li>{@link #split}: the events the mapping engine turns into a disable or a delete of an object the job manages in
 * Druva are counted; when they trip the job's {@link DeletionThreshold} (a count or a share, whichever first) they are
 * all held (Entra's StagedDelete) until the administrator allows them or restarts the job.</li>
 * <li>{@link #emptyRead}: a read that returns no user at all, for a job that manages users, is a failed read (a
 * misspelled key, an emptied file, a source that answered nothing), never a delete-all.</li>
 * </ul>
 */
public final class DeletionGuard {

    private DeletionGuard() {
    }

    /**
     * @param emit the events to send now
     * @param held the disables and deletes held back (empty when the threshold is not tripped)
     * @param reason why they are held, for the administrator (empty when nothing is held)
     */
    public record Split(List<AssignmentEvent> emit, List<AssignmentEvent> held, Optional<String> reason) {

        public static Split all(List<AssignmentEvent> events) {
            return new Split(events, List.of(), Optional.empty());
        }
    }

    /**
     * @param threshold the job's settings
     * @param managed ids of the objects the job has created or updated in Druva (the share is of their number)
     * @param decide the mapping engine's decision for an event
     */
    public static Split split(List<AssignmentEvent> events, DeletionThreshold threshold, Set<String> managed,
            Function<AssignmentEvent, Decision> decide) {
        Parts<AssignmentEvent> parts = split(events, threshold, managed, AssignmentEvent::objectId, decide);
        return new Split(parts.emit(), parts.held(), parts.reason());
    }

    /**
     * {@link #split(List, DeletionThreshold, Set, Function)} over items that stand for events (a cycle's planned
     * objects, whose events are built when sent): {@code decide} is asked only for items of managed objects.
     *
     * @param objectId the object an item is about
     * @param decide the mapping engine's decision for an item's event
     */
    public static <T> Parts<T> split(List<T> items, DeletionThreshold threshold, Set<String> managed,
            Function<T, String> objectId, Function<T, Decision> decide) {
        if (threshold.off()) {
            return Parts.all(items);
        }
        List<T> emit = new ArrayList<>();
        List<T> deletions = new ArrayList<>();
        for (T item : items) {
            if (managed.contains(objectId.apply(item)) && removes(decide.apply(item))) {
                deletions.add(item);
            } else {
                emit.add(item);
            }
        }
        Optional<String> tripped = threshold.tripped(deletions.size(), managed.size());
        if (tripped.isEmpty()) {
            return Parts.all(items);
        }
        return new Parts<>(emit, deletions, tripped);
    }

    /**
     * {@link Split} of any items.
     *
     * @param emit the items to send now
     * @param held the disables and deletes held back (empty when the threshold is not tripped)
     * @param reason why they are held, for the administrator (empty when nothing is held)
     */
    public record Parts<T>(List<T> emit, List<T> held, Optional<String> reason) {

        public static <T> Parts<T> all(List<T> items) {
            return new Parts<>(items, List.of(), Optional.empty());
        }
    }

    /**
     * Whether a read is a failed read rather than a delete-all: it has no user while the job manages some.
     *
     * @param usersRead how many users the source returned
     * @param managedUsers how many users the job holds in Druva (that its source listed before)
     * @return the reason the cycle fails, else empty
     */
    public static Optional<String> emptyRead(int usersRead, long managedUsers) {
        if (usersRead > 0 || managedUsers == 0) {
            return Optional.empty();
        }
        return Optional.of("the source returned no users, yet the job manages " + Plural.of(managedUsers, "user")
                + " in Druva: "
                + "treated as a failed read, nothing was sent (to deprovision everyone, unassign the users and allow "
                + "the held deletes, or delete the job)");
    }

    private static boolean removes(Decision decision) {
        return decision instanceof Decision.Disable || decision instanceof Decision.Delete;
    }
}
