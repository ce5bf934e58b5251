package dev.provisioning.events;

import java.util.Objects;

/**
 * Kafka record keys. Every object's events share a key, so they land on one partition and stay in order.
 */
public final class EventKeys {

    private EventKeys() {
    }

    /** The key of every record about {@code objectId} in job {@code jobId}. */
    public static String of(String jobId, String objectId) {
        return Objects.requireNonNull(jobId, "jobId") + "/" + Objects.requireNonNull(objectId, "objectId");
    }
}
