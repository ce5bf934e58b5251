package dev.provisioning.events;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The desired SCIM change for one object, from the mapper to the scim-writer. Topic {@link Topics#OPERATIONS},
 * key {@link EventKeys#of(String, String) jobId/objectId}.
 *
 * @param schemaVersion {@link #SCHEMA_VERSION}
 * @param operationId the id of the assignment event this operation answers: unique and stable for this object in this
 *        cycle, and the {@code eventId} of the resulting {@link ProvisioningResult}
 * @param jobId the provisioning job
 * @param cycleId the cycle of the assignment event
 * @param objectType user or group
 * @param objectId the source object id
 * @param displayName for logs and results
 * @param kind upsert, disable or delete
 * @param attributes desired target attributes by SCIM path ({@code userName}, {@code name.givenName},
 *        {@code emails[type eq "work"].value}, {@code active}, ...), applied on create and update; never null values
 * @param createOnlyAttributes attributes applied only when the object is created (Entra's "Only during object
 *        creation" and "default value if null")
 * @param matching the matching attributes in precedence order
 * @param members for a group, the source ids of the desired members
 * @param reasonCode for a disable or delete, why (Entra's code: {@code NotEffectivelyEntitled} for an object
 *        unassigned, only Default Access or disabled, {@code OutOfScope}, or {@code TargetObjectNotManaged} for an
 *        object deleted in the source); reported
 *        as the skip reason when the target object is not managed (see the mapping engine's
 *        {@link TargetNotManaged})
 * @param reason the same as a sentence
 * @param createdAt when the change it carries was observed: its assignment event's {@code observedAt} (when the
 *        mapper emitted it, for an event without one), the same for every copy of one event; an operation of an object
 *        older than the one waiting in the writer's escrow never replaces it
 */
public record ScimOperation(
        int schemaVersion,
        String operationId,
        String jobId,
        String cycleId,
        ObjectType objectType,
        String objectId,
        String displayName,
        OperationKind kind,
        Map<String, Object> attributes,
        Map<String, Object> createOnlyAttributes,
        List<MatchingAttribute> matching,
        List<String> members,
        String reasonCode,
        String reason,
        Instant createdAt) {

    public static final int SCHEMA_VERSION = 1;

    public ScimOperation {
        attributes = attributes == null ? Map.of() : attributes;
        createOnlyAttributes = createOnlyAttributes == null ? Map.of() : createOnlyAttributes;
        matching = matching == null ? List.of() : List.copyOf(matching);
        members = members == null ? List.of() : List.copyOf(members);
    }

    /** The Kafka key of this operation. */
    public String key() {
        return EventKeys.of(jobId, objectId);
    }
}
