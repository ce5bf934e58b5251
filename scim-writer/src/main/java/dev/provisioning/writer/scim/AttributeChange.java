package dev.provisioning.writer.scim;

/**
 * One attribute to change on the target: its SCIM path, the last known value (null when absent) and the desired one.
 */
public record AttributeChange(String path, Object oldValue, Object newValue) {
}
