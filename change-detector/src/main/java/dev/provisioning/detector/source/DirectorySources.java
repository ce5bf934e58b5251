package dev.provisioning.detector.source;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.source.graph.GraphSources;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.SourceType;

/** Makes the source of a job for one cycle, by the job's source type. */
@ApplicationScoped
public class DirectorySources {

    private final GraphSources graph;
    private final DirectoryFileSource.Limits fileLimits;

    public DirectorySources(GraphSources graph, DetectorConfig config) {
        this.graph = graph;
        this.fileLimits = new DirectoryFileSource.Limits(config.directoryRoot(),
                config.directoryFile().maxSize().asLongValue());
    }

    /**
     * The version of a directory-file job's file now ({@link DirectoryFileSource#version}: one look at its attributes
     * under the same limits as a read, never its content); empty for a job with another source, and for a file that
     * cannot be read. Never fails.
     */
    public Optional<DirectoryFileSource.Version> fileVersion(JobConfig job) {
        if (job.source() == null || job.source().type() != SourceType.DIRECTORY_FILE
                || job.source().directoryFile() == null) {
            return Optional.empty();
        }
        try {
            return new DirectoryFileSource(Path.of(job.source().directoryFile()), fileLimits).version();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /**
     * @throws SourceException when the job's source cannot be used
     */
    public DirectorySource forJob(JobConfig job) {
        if (job.source() == null || job.source().type() == null) {
            throw new SourceException("job " + job.jobId() + ": source is not configured");
        }
        return switch (job.source().type()) {
            case DIRECTORY_FILE -> new DirectoryFileSource(Path.of(job.source().directoryFile()), fileLimits);
            case MICROSOFT_GRAPH -> graph.forJob(job);
        };
    }
}
