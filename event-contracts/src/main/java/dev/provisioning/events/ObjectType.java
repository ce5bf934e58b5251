package dev.provisioning.events;

/** The kind of directory object an event is about. */
public enum ObjectType {
    USER, GROUP
}
