package dev.provisioning.events.job;

/** Entra's scoping filter operators. Case-sensitive; a clause on a null value is false. */
public enum ScopingOperator {
    EQUALS, NOT_EQUALS, IS_TRUE, IS_FALSE, IS_NULL, IS_NOT_NULL, REGEX_MATCH, NOT_REGEX_MATCH, INCLUDES, STARTS_WITH, ENDS_WITH, GREATER_THAN, GREATER_THAN_OR_EQUALS,
    /** Bitwise and: true when {@code (value & operand) == operand}. */
    BITWISE_AND,
    /** Bitwise not-and: true when {@code (value & operand) == 0}. */
    BITWISE_NOT_AND
}
