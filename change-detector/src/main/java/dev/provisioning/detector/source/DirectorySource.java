package dev.provisioning.detector.source;

import io.smallrye.mutiny.Uni;

/**
 * Where a job reads Entra's directory from, for one cycle ({@link DirectorySources} makes one per cycle). The directory
 * file is the embedded default; Microsoft Graph implements the same interface.
 */
public interface DirectorySource {

    /**
     * Reads the whole directory without holding a thread while it waits: Graph's requests and backoff are
     * non-blocking; a file is read on a worker thread.
     *
     * @return the directory, or a failure with a {@link SourceException} whose message names what could not be read
     */
    Uni<Directory> load();

    /**
     * {@link #load()}, blocking: for a caller already on a worker thread.
     *
     * @throws SourceException with a message that names what could not be read
     */
    default Directory read() {
        return load().await().indefinitely();
    }

    /**
     * Called once the cycle's events are safely on Kafka and the snapshot moved: persist whatever marks the position
     * of this read (e.g. Graph deltaLinks). Never called when the cycle failed. Default: nothing.
     */
    default Uni<Void> commit() {
        return Uni.createFrom().voidItem();
    }
}
