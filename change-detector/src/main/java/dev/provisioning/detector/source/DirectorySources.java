package dev.provisioning.detector.source;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.source.graph.GraphSources;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.SourceType;

/** Makes the source of a job for one cycle, by the job's source type. */
@ApplicationScoped
public class DirectorySources {

    /** A memo not used by a read for this long is dropped (its job was deleted on another replica, or it idles). */
    static final Duration MEMO_IDLE = Duration.ofHours(1);

    private final GraphSources graph;
    private final DirectoryFileSource.Limits fileLimits;
    /** Directory-file jobs' element memos ({@link ElementMemo}), by job id; each for one file path. */
    private final ConcurrentMap<String, ElementMemo> memos = new ConcurrentHashMap<>();

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
     * Forgets what reads of a job's directory file kept ({@link ElementMemo}): the job was deleted. A job whose file
     * path changes gets a new memo at its next read; a memo no read used for {@link #MEMO_IDLE} is dropped too.
     */
    public void forget(String jobId) {
        memos.remove(jobId);
    }

    /** How many elements the memo of a job's directory file holds (0 when it has none). */
    int memoSize(String jobId) {
        ElementMemo memo = memos.get(jobId);
        return memo == null ? 0 : memo.size();
    }

    /**
     * The source of one cycle's (or one look's) read. A directory-file job's reads share the job's {@link ElementMemo},
     * so unchanged elements are not validated and parsed again.
     *
     * @throws SourceException when the job's source cannot be used
     */
    public DirectorySource forJob(JobConfig job) {
        if (job.source() == null || job.source().type() == null) {
            throw new SourceException("job " + job.jobId() + ": source is not configured");
        }
        return switch (job.source().type()) {
            case DIRECTORY_FILE -> {
                Path file = Path.of(job.source().directoryFile());
                Instant idle = Instant.now().minus(MEMO_IDLE);
                memos.values().removeIf(m -> m.used().isBefore(idle));
                ElementMemo memo = memos.compute(job.jobId(),
                        (id, known) -> known != null && known.file().equals(file) ? known : new ElementMemo(file));
                yield new DirectoryFileSource(file, fileLimits, memo);
            }
            case MICROSOFT_GRAPH -> graph.forJob(job);
        };
    }
}
