package dev.provisioning.detector.cycle;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ObjectType;

/**
 * What one cycle must emit, and how the source snapshot changes once those events are safely on Kafka.
 *
 * <p>
 * The plan holds one {@link Planned} item per changed object, not its event: the cycle builds each event as it sends it
 * ({@code CycleRunner.emit}), so a cycle of 100,000 changes holds at most {@code detector.emit-concurrency} events at
 * once besides the items (an item keeps references to what the read holds anyway: the user, its assignments).
 *
 * @param planned one item per changed object, in the order the events are sent
 * @param snapshotUpserts by object type, object id to the hash of its new state
 * @param snapshotNames object id to its display name, for the objects of {@code snapshotUpserts} that have one
 * @param snapshotRemovals object ids no longer in the source
 */
public record CyclePlan(List<Planned> planned, Map<ObjectType, Map<String, String>> snapshotUpserts,
        Map<String, String> snapshotNames, Set<String> snapshotRemovals) {

    /**
     * One object the cycle sends an event for.
     *
     * @param objectType user or group
     * @param objectId the object's id in the source
     * @param event builds the object's event; every call builds an equal event (same event id, same time)
     */
    public record Planned(ObjectType objectType, String objectId, Supplier<AssignmentEvent> event) {

        /** An item whose event is already built. */
        static Planned of(AssignmentEvent event) {
            return new Planned(event.objectType(), event.objectId(), () -> event);
        }
    }

    /**
     * This plan without some objects: no event for them, and the snapshot keeps their old state, so the next cycle
     * plans them again (a cycle that holds deletions leaves its group changes for later: {@code CycleRunner}).
     *
     * @param objectIds ids of planned objects to leave out
     */
    public CyclePlan without(Set<String> objectIds) {
        if (objectIds.isEmpty()) {
            return this;
        }
        Map<ObjectType, Map<String, String>> upserts = new HashMap<>();
        snapshotUpserts.forEach((type, byId) -> {
            Map<String, String> kept = new HashMap<>(byId);
            kept.keySet().removeAll(objectIds);
            upserts.put(type, kept);
        });
        Map<String, String> names = new HashMap<>(snapshotNames);
        names.keySet().removeAll(objectIds);
        Set<String> removals = new HashSet<>(snapshotRemovals);
        removals.removeAll(objectIds);
        return new CyclePlan(planned.stream().filter(p -> !objectIds.contains(p.objectId())).toList(), upserts, names,
                removals);
    }

    /** Every event of the plan, built now (for tests and small plans; a cycle builds them as it sends them). */
    public List<AssignmentEvent> events() {
        return planned.stream().map(p -> p.event().get()).toList();
    }
}
