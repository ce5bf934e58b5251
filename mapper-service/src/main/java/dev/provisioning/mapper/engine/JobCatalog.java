package dev.provisioning.mapper.engine;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.mapping.CompiledJob;
import dev.provisioning.mapping.MappingEngine;

/**
 * The known jobs with their compiled mappings and filters. A job is compiled once per revision; a configuration that
 * does not compile (it was validated when saved, so this means an incompatible version) is kept as the error.
 */
@ApplicationScoped
public class JobCatalog {

    private final JobDirectory directory = new JobDirectory();
    private final Map<String, Compiled> compiled = new ConcurrentHashMap<>();

    public void put(JobConfig job) {
        directory.put(job);
    }

    public void remove(String jobId) {
        directory.remove(jobId);
        compiled.remove(jobId);
    }

    /** The job's configuration, if known. */
    public Optional<JobConfig> find(String jobId) {
        return directory.find(jobId);
    }

    /**
     * The compiled form of the job at this revision.
     *
     * @throws dev.provisioning.mapping.InvalidConfigurationException when it does not compile
     */
    public CompiledJob compiled(JobConfig job) {
        Compiled c = compiled.compute(job.jobId(), (id, old) -> old != null && old.revision() == job.revision()
                ? old
                : new Compiled(job.revision(), MappingEngine.compile(job)));
        return c.job();
    }

    private record Compiled(long revision, CompiledJob job) {
    }
}
