package dev.provisioning.mapping;

import java.util.List;
import java.util.Map;

import dev.provisioning.events.MatchingAttribute;
import dev.provisioning.events.ProvisioningAction;

/**
 * What to do in the target for one source user or group, as {@link CompiledJob#evaluate} decides it. The writer
 * resolves "is the object managed?" (the engine does not know): a {@link Disable} or {@link Delete} for an unmanaged
 * object sends nothing. {@link OperationPlanner} turns a decision into what is emitted.
 */
public sealed interface Decision {

    /**
     * Create the user if no match is found (and creating is allowed), else update it.
     *
     * @param attributes target attributes by SCIM path, sent on create and on update; never null values; booleans
     *        (such as {@code active}) as {@link Boolean}
     * @param createOnlyAttributes sent only when the user is created: "apply only during object creation" mappings and
     *        "default value if null" values
     * @param matching the matching attributes with values, precedence 1 first; attributes without a value are left out
     */
    record Upsert(Map<String, Object> attributes, Map<String, Object> createOnlyAttributes,
            List<MatchingAttribute> matching) implements Decision {

        public Upsert {
            attributes = Map.copyOf(attributes);
            createOnlyAttributes = Map.copyOf(createOnlyAttributes);
            matching = List.copyOf(matching);
        }

        /** Every attribute to send on create: {@link #attributes()} plus {@link #createOnlyAttributes()}. */
        public Map<String, Object> attributesForCreate() {
            if (createOnlyAttributes.isEmpty()) {
                return attributes;
            }
            Map<String, Object> all = new java.util.HashMap<>(createOnlyAttributes);
            all.putAll(attributes);
            return Map.copyOf(all);
        }
    }

    /**
     * Disable the user in the target if it is managed ({@code active=false}); never create it.
     *
     * @param reasonCode an {@link dev.provisioning.events.ErrorCodes} code: {@code NotEffectivelyEntitled}
     *        (unassigned, Default Access only, or disabled in the source) or {@code OutOfScope}
     * @param reason for the provisioning log
     */
    record Disable(String reasonCode, String reason) implements Decision {
    }

    /**
     * Delete the object in the target if it is managed: a user or group hard-deleted in the source, or a group out of
     * scope (groups have no {@code active} flag to clear).
     *
     * @param reasonCode an {@link dev.provisioning.events.ErrorCodes} code, logged as the skip reason when the target
     *        has no such object: {@code NotEffectivelyEntitled} (a group not assigned, or only with Default Access),
     *        {@code OutOfScope} (soft-deleted) or {@code TargetObjectNotManaged} (hard-deleted: nothing to delete)
     * @param reason for the provisioning log
     */
    record Delete(String reasonCode, String reason) implements Decision {
    }

    /**
     * Nothing to do; logged as skipped.
     *
     * @param action the action Entra would have taken and logs as skipped: {@code Delete} or {@code Disable} when a
     *        deprovisioning is not done, {@code Create} or {@code Update} when an object in scope is not sent (see
     *        {@link CompiledJob}), {@code Other} when there is no action to name
     * @param reasonCode an {@link dev.provisioning.events.ErrorCodes} or {@link ReasonCodes} code
     * @param reason for the provisioning log
     */
    record Skip(ProvisioningAction action, String reasonCode, String reason) implements Decision {
    }

    /**
     * Nothing can be sent; logged as a failure (for example {@code MandatoryFieldsMissing}).
     *
     * @param action the action that could not be taken ({@code Create} or {@code Update} for an object in scope,
     *        {@code Disable} for a deprovisioning that could not be decided)
     * @param errorCode an {@link dev.provisioning.events.ErrorCodes} or {@link ReasonCodes} code
     * @param reason for the provisioning log
     */
    record Fail(ProvisioningAction action, String errorCode, String reason) implements Decision {
    }
}
