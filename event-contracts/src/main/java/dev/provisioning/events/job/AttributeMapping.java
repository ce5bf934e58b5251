package dev.provisioning.events.job;

/**
 * One attribute mapping, as Entra's "Edit Attribute" dialog defines it.
 *
 * @param type Direct, Constant, Expression or None
 * @param source the source attribute (Direct), the constant (Constant) or the expression (Expression)
 * @param target the SCIM target attribute path, e.g. {@code name.givenName} or {@code emails[type eq "work"].value}
 * @param defaultValue used on create when the source value is null; may be null
 * @param apply Always, or only during object creation
 * @param matchingPrecedence 0 when not a matching attribute, else its precedence (1 is tried first)
 */
public record AttributeMapping(
        MappingType type,
        String source,
        String target,
        String defaultValue,
        ApplyMode apply,
        int matchingPrecedence) {

    public AttributeMapping {
        apply = apply == null ? ApplyMode.ALWAYS : apply;
    }

    /** Whether the target attribute is used to match existing target objects. */
    public boolean matching() {
        return matchingPrecedence > 0;
    }
}
