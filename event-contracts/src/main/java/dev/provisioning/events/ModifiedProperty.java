package dev.provisioning.events;

/** One target attribute a provisioning action changed: its old and new values (null when absent). */
public record ModifiedProperty(String name, String oldValue, String newValue) {
}
