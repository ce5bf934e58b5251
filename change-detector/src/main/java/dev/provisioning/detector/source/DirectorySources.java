package dev.provisioning.detector.source;

import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;

import dev.provisioning.events.job.JobConfig;

/** Makes the source of a job for one cycle, by the job's source type. */
@ApplicationScoped
public class DirectorySources {

    /**
     * @throws SourceException when the job's source cannot be used
     */
    public DirectorySource forJob(JobConfig job) {
        if (job.source() == null || job.source().type() == null) {
            throw new SourceException("job " + job.jobId() + ": source is not configured");
        }
        return switch (job.source().type()) {
            case DIRECTORY_FILE -> new DirectoryFileSource(Path.of(job.source().directoryFile()));
            case MICROSOFT_GRAPH -> throw new SourceException(
                    "job " + job.jobId() + ": source MICROSOFT_GRAPH is not supported by this version yet");
        };
    }
}
