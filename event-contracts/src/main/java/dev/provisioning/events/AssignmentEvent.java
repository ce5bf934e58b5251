package dev.provisioning.events;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The state of one source object in one cycle, as the change-detector saw it. Topic
 * {@link Topics#ASSIGNMENTS}, key {@link EventKeys#of(String, String) jobId/objectId}.
 *
 * @param schemaVersion {@link #SCHEMA_VERSION}
 * @param eventId unique and stable for this object in this cycle, so redelivery can be recognised
 * @param jobId the provisioning job
 * @param cycleId the cycle that produced the event
 * @param fullCycle true when the cycle re-evaluates every object (initial cycle, restart, mapping change)
 * @param objectType user or group
 * @param objectId the source (Entra) object id
 * @param change what happened to the object
 * @param attributes the source attributes by their Entra names ({@code userPrincipalName}, {@code mail},
 *        {@code accountEnabled}, ...); values are strings, booleans, numbers or lists of strings; for a hard delete,
 *        only the {@code displayName} the object last had when the detector knows it (else empty)
 * @param assignments the app role assignments that reach the object, direct or through an assigned group
 * @param members for a group, the source ids of its direct members; empty for a user
 * @param observedAt when the detector read the object
 * @param inTarget whether the job holds the object in Druva (created or matched by it), as the change-detector knows
 *        when it emits the event; null when not known (an event of an earlier version). It names the action of an
 *        object in scope that is not sent, as Entra names it after matching: Create when Druva does not have it,
 *        Update when it does ({@code CompiledJob.upsertAction})
 */
public record AssignmentEvent(
        int schemaVersion,
        String eventId,
        String jobId,
        String cycleId,
        boolean fullCycle,
        ObjectType objectType,
        String objectId,
        ChangeKind change,
        Map<String, Object> attributes,
        List<Assignment> assignments,
        List<String> members,
        Instant observedAt,
        Boolean inTarget) {

    public static final int SCHEMA_VERSION = 1;

    /** An event that does not say whether the job holds the object in Druva ({@code inTarget} null). */
    public AssignmentEvent(int schemaVersion, String eventId, String jobId, String cycleId, boolean fullCycle,
            ObjectType objectType, String objectId, ChangeKind change, Map<String, Object> attributes,
            List<Assignment> assignments, List<String> members, Instant observedAt) {
        this(schemaVersion, eventId, jobId, cycleId, fullCycle, objectType, objectId, change, attributes, assignments,
                members, observedAt, null);
    }

    public AssignmentEvent {
        attributes = attributes == null ? Map.of() : attributes;
        assignments = assignments == null ? List.of() : List.copyOf(assignments);
        members = members == null ? List.of() : List.copyOf(members);
    }

    /** The Kafka key of this event. */
    public String key() {
        return EventKeys.of(jobId, objectId);
    }

    /** A display name for logs: displayName, else userPrincipalName, else the object id. */
    public String displayName() {
        Object name = attributes.get("displayName");
        if (name == null) {
            name = attributes.get("userPrincipalName");
        }
        return name == null ? objectId : name.toString();
    }
}
