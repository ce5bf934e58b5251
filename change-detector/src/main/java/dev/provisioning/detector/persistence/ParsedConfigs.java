package dev.provisioning.detector.persistence;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.job.JobConfig;

/**
 * The parsed and checked configuration of each job, by job id and the exact JSON text of its {@code job.config}
 * column: a row whose configuration is the text parsed last time gets the same {@link JobConfig} (immutable) without
 * parsing and checking it again. Issue 13: {@link JobStore} loads the job for every result it records, and parsing the
 * configuration was 16 % of the detector's samples.
 *
 * <p>
 * Keyed by the text itself rather than the row's revision (which also moves when a cycle is claimed or a count
 * changes), so it is never stale: any change of the configuration is a new text and is parsed. Memory: one entry per
 * job (a job's newer text replaces its older one), forgotten when the job is deleted, and all forgotten when more than
 * {@value #MAX_JOBS} jobs are held. Thread-safe. Holds only what the row holds (the token stays encrypted).
 */
final class ParsedConfigs {

    /** Jobs held before the whole cache is dropped (a bound, not a working size: a detector runs tens of jobs). */
    static final int MAX_JOBS = 10_000;

    private record Parsed(String json, JobConfig config) {
    }

    private final Map<String, Parsed> byJob = new ConcurrentHashMap<>();

    /**
     * The job's configuration from its stored JSON, parsed and checked ({@link EventChecks#job}) unless it is the text
     * parsed last time for this job.
     *
     * @throws dev.provisioning.events.MalformedEventException (or another runtime exception of the parser) when the text
     *             is not a valid configuration; nothing is cached then
     */
    JobConfig config(String jobId, String json) {
        Parsed parsed = byJob.get(jobId);
        if (parsed != null && parsed.json().equals(json)) {
            return parsed.config();
        }
        JobConfig config = EventChecks.job(json);
        if (byJob.size() >= MAX_JOBS) {
            byJob.clear();
        }
        byJob.put(jobId, new Parsed(json, config));
        return config;
    }

    /** Forgets the job (it was deleted). */
    void forget(String jobId) {
        byJob.remove(jobId);
    }

    /** Jobs held. */
    int size() {
        return byJob.size();
    }
}
