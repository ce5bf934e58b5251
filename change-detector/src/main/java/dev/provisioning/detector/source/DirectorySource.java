package dev.provisioning.detector.source;

/**
 * Where a job reads Entra's directory from. The directory file is the embedded default; Microsoft Graph implements
 * the same interface.
 */
public interface DirectorySource {

    /**
     * Reads the whole directory.
     *
     * @throws SourceException with a message that names what could not be read
     */
    Directory read();
}
