package dev.provisioning.mapping;

import java.util.List;
import java.util.Map;

import dev.provisioning.events.MatchingAttribute;

/**
 * What to do in the target for one source user, as {@link CompiledJob#evaluateUser} decides it. The writer resolves
 * "is the user managed?" (the engine does not know): a {@link Disable} or {@link Delete} for an unmanaged user sends
 * nothing.
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
     * @param reasonCode an {@link dev.provisioning.events.ErrorCodes} code: {@code NotEffectivelyEntitled},
     *        {@code SourceObjectDisabled} or {@code OutOfScope}
     * @param reason for the provisioning log
     */
    record Disable(String reasonCode, String reason) implements Decision {
    }

    /** Delete the user in the target if it is managed: it was hard-deleted in the source. */
    record Delete(String reason) implements Decision {
    }

    /** Nothing to do; logged as skipped. */
    record Skip(String reasonCode, String reason) implements Decision {
    }

    /** Nothing can be sent; logged as a failure (for example {@code MandatoryFieldsMissing}). */
    record Fail(String errorCode, String reason) implements Decision {
    }
}
