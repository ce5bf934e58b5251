package dev.provisioning.detector.source;

import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.source.graph.GraphSources;
import dev.provisioning.events.job.JobConfig;

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
