package dev.provisioning.events.job;

/**
 * One clause of a scoping filter.
 *
 * @param attribute the source attribute
 * @param operator the operator
 * @param value the operand; null for the unary operators (IS TRUE, IS NULL, ...)
 */
public record ScopingClause(String attribute, ScopingOperator operator, String value) {
}
