package dev.provisioning.events;

/**
 * A target attribute used to find an existing target object, tried in precedence order (1 first).
 *
 * @param targetAttribute the SCIM attribute path, e.g. {@code userName}
 * @param value the value to look for
 * @param precedence 1 is tried first
 */
public record MatchingAttribute(String targetAttribute, String value, int precedence) {
}
