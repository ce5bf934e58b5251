package dev.provisioning.events;

/** The desired change to the target object. */
public enum OperationKind {
    /** Make the target object exist with the desired attributes: match, then create or update. */
    UPSERT,
    /** Set {@code active} to false on the target object, if it is managed. */
    DISABLE,
    /** Delete the target object, if it is managed. */
    DELETE
}
