package dev.provisioning.events.job;

/**
 * The job's source directory.
 *
 * @param type directory file or Microsoft Graph
 * @param directoryFile for {@link SourceType#DIRECTORY_FILE}: the path of the JSON file
 */
public record SourceConfig(SourceType type, String directoryFile) {
}
