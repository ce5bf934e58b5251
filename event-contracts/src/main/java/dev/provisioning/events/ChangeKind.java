package dev.provisioning.events;

/** What the change-detector saw happen to a source object since the last cycle. */
public enum ChangeKind {
    /** First seen (initial cycle, or new in the source). */
    ADDED,
    /** Attributes, assignments or memberships changed, or a full cycle re-evaluates it. */
    UPDATED,
    /** Deleted in the source but restorable (Graph {@code @removed: changed}); treated as out of scope. */
    SOFT_DELETED,
    /** Permanently deleted in the source (Graph {@code @removed: deleted}, or gone from the directory file). */
    HARD_DELETED
}
