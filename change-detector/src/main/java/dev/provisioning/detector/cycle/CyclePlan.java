package dev.provisioning.detector.cycle;

import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ObjectType;

/**
 * What one cycle must emit, and how the source snapshot changes once those events are safely on Kafka.
 *
 * @param events one event per changed object
 * @param snapshotUpserts by object type, object id to the hash of its new state
 * @param snapshotNames object id to its display name, for the objects of {@code snapshotUpserts} that have one
 * @param snapshotRemovals object ids no longer in the source
 */
public record CyclePlan(List<AssignmentEvent> events, Map<ObjectType, Map<String, String>> snapshotUpserts,
        Map<String, String> snapshotNames, Set<String> snapshotRemovals) {
}
