package dev.provisioning.events.job;

/** Entra's attribute mapping types. */
public enum MappingType {
    /** The value of a source attribute. */
    DIRECT,
    /** A fixed string. */
    CONSTANT,
    /** An expression in Entra's expression language. */
    EXPRESSION,
    /** No source: the target attribute is left alone (only its default value, if any, applies on create). */
    NONE
}
