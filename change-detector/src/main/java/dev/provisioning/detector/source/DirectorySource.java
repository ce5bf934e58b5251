package dev.provisioning.detector.source;

/**
 * Where a job reads Entra's directory from, for one cycle ({@link DirectorySources} makes one per cycle). The directory
 * file is the embedded default; Microsoft Graph implements the same interface. {@link #read()} is called on a worker
 * thread.
 */
public interface DirectorySource {

    /**
     * Reads the whole directory.
     *
     * @throws SourceException with a message that names what could not be read
     */
    Directory read();

    /**
     * Called once the cycle's events are safely on Kafka and the snapshot moved: persist whatever marks the position
     * of this read (e.g. Graph deltaLinks). Blocking; never called when the cycle failed. Default: nothing.
     */
    default void commit() {
    }
}
