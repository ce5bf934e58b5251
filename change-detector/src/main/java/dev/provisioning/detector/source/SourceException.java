package dev.provisioning.detector.source;

/** The source directory could not be read. The message says what and where, for the job status and the log. */
public class SourceException extends RuntimeException {

    public SourceException(String message) {
        super(message);
    }

    public SourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
