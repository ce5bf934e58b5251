package dev.provisioning.events.job;

/**
 * The job's source directory.
 *
 * @param type directory file or Microsoft Graph
 * @param directoryFile for {@link SourceType#DIRECTORY_FILE}: the path of the JSON file
 * @param graph for {@link SourceType#MICROSOFT_GRAPH}: tenant, app credentials and service principal
 */
public record SourceConfig(SourceType type, String directoryFile, GraphSource graph) {

    /** A directory-file source. */
    public static SourceConfig directoryFile(String path) {
        return new SourceConfig(SourceType.DIRECTORY_FILE, path, null);
    }
}
