package dev.provisioning.events;

/**
 * A record that cannot be processed: not JSON, the wrong shape, an unsupported schema version or a missing required
 * field. Consumers send such records to their dead-letter topic with this message as the reason.
 */
public class MalformedEventException extends RuntimeException {

    public MalformedEventException(String message) {
        super(message);
    }

    public MalformedEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
